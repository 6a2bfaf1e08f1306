using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>A training process killed without warning leaves only whole checkpoints, and resuming from the last one ends
/// with exactly the weights of an uninterrupted run.</summary>
public sealed class KillAndResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-kill").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_killed_run_resumed_ends_bit_identical_to_an_uninterrupted_run()
    {
        string pipeline = Path.Combine(_folder, "Kill.tl.yaml");
        File.WriteAllText(pipeline, File.ReadAllText(TestFiles.TinyPipeline(_folder, "Kill"))
            .Replace("- { name: head, epochs: 1 }", "- { name: head, epochs: 12, schedule: one_cycle }", StringComparison.Ordinal));

        var whole = await CliProcess.RunAsync(null, "train", pipeline, "--runs", Path.Combine(_folder, "whole"));
        Assert.True(whole.ExitCode == 0, whole.ToString());
        string wholeRun = Directory.GetDirectories(Path.Combine(_folder, "whole", "Kill")).Single();

        string killedRoot = Path.Combine(_folder, "killed");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { CliProcess.ToolPath, "train", pipeline, "--runs", killedRoot })
        {
            start.ArgumentList.Add(a);
        }
        using (var process = Process.Start(start)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            string? pointer = null;
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (pointer is null && !process.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
                pointer = Directory.Exists(killedRoot)
                    ? Directory.GetFiles(killedRoot, "last", SearchOption.AllDirectories).FirstOrDefault()
                    : null;
            }
            Assert.False(process.HasExited, "the run ended before it could be killed; give it more epochs");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        string killedRun = Directory.GetDirectories(Path.Combine(killedRoot, "Kill")).Single();
        foreach (var checkpoint in Directory.GetDirectories(Path.Combine(killedRun, "checkpoints")).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            foreach (var file in new[] { "model.dat", "optimizer.dat", "rng.dat", "state.json" })
            {
                Assert.True(File.Exists(Path.Combine(checkpoint, file)), $"{checkpoint} lacks {file}");
            }
        }

        var resumed = await CliProcess.RunAsync(null, "train", "--resume", killedRun);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());

        byte[] expected = File.ReadAllBytes(Path.Combine(LastCheckpoint(wholeRun), "model.dat"));
        byte[] actual = File.ReadAllBytes(Path.Combine(LastCheckpoint(killedRun), "model.dat"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the resumed run's final weights differ from the uninterrupted run's");
        // The weights no phase trains are written once per run, by whichever process got there first.
        byte[] frozenWhole = File.ReadAllBytes(Path.Combine(wholeRun, "checkpoints", "frozen.dat"));
        byte[] frozenKilled = File.ReadAllBytes(Path.Combine(killedRun, "checkpoints", "frozen.dat"));
        Assert.True(frozenWhole.AsSpan().SequenceEqual(frozenKilled), "frozen.dat differs between the runs");
        Assert.Equal(File.ReadAllLines(Path.Combine(wholeRun, "metrics.csv")).Select(Losses), File.ReadAllLines(Path.Combine(killedRun, "metrics.csv")).Select(Losses));
    }

    private static string LastCheckpoint(string run) =>
        Path.Combine(run, "checkpoints", File.ReadAllText(Path.Combine(run, "checkpoints", "last")).Trim());

    // Everything but the timing columns must match.
    private static string Losses(string csvLine) => string.Join(",", csvLine.Split(',').Take(10));
}
