using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests.Torchrun;

/// <summary>A worker group killed without warning leaves only whole checkpoints, and <c>--resume</c> from the last one
/// ends with the weights and metrics of an uninterrupted run.</summary>
public sealed class TorchrunResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-torchrun-resume").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_killed_worker_group_resumed_ends_as_an_uninterrupted_run()
    {
        string pipeline = TorchrunHarness.SmallCnnPipeline(_folder, "TorchrunResume", epochs: 5, perClass: 10);
        string program = await TorchrunHarness.ExportAsync(pipeline, Path.Combine(_folder, "program"));
        string whole = Path.Combine(_folder, "whole");
        TorchrunHarness.AssertAllSucceeded(await TorchrunHarness.RunAsync(program, 2, "--run-dir", whole));

        string killed = Path.Combine(_folder, "killed");
        var workers = TorchrunHarness.Start(program, 2, "--run-dir", killed);
        try
        {
            foreach (var w in workers)
            {
                _ = w.StandardOutput.ReadToEndAsync();
                _ = w.StandardError.ReadToEndAsync();
            }
            string last = Path.Combine(killed, "checkpoints", "last");
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (!File.Exists(last) && workers.All(w => !w.HasExited) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            Assert.True(workers.All(w => !w.HasExited), "a worker ended before the group could be killed; give the run more epochs");
            foreach (var w in workers)
            {
                w.Kill(entireProcessTree: true);
            }
            foreach (var w in workers)
            {
                await w.WaitForExitAsync();
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
        Assert.False(File.Exists(Path.Combine(killed, "summary.json")), "the killed run finished before it was killed");
        foreach (var checkpoint in Directory.GetDirectories(Path.Combine(killed, "checkpoints")).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            foreach (var file in new[] { "model.safetensors", "trainer.pt", "state.json" })
            {
                Assert.True(File.Exists(Path.Combine(checkpoint, file)), $"{checkpoint} lacks {file}");
            }
        }

        var resumed = await TorchrunHarness.RunAsync(program, 2, "--resume", killed);
        TorchrunHarness.AssertAllSucceeded(resumed);
        Assert.Contains("resumed from ", resumed[0].Stdout, StringComparison.Ordinal);

        byte[] expected = File.ReadAllBytes(Path.Combine(whole, "model.safetensors"));
        byte[] actual = File.ReadAllBytes(Path.Combine(killed, "model.safetensors"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the resumed run's final weights differ from the uninterrupted run's");
        Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.csv")).Select(Losses), File.ReadAllLines(Path.Combine(killed, "metrics.csv")).Select(Losses));

        var evaluate = await CliProcess.RunAsync(null, "evaluate", killed);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
    }

    // Everything but the timing columns.
    private static string Losses(string csvLine) => string.Join(",", csvLine.Split(',').Take(10));
}
