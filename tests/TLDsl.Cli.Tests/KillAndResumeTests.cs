using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TLDsl.Runtime.Training;

namespace TLDsl.Cli.Tests;

/// <summary>A training process killed without warning leaves only whole checkpoints, and resuming from the last one ends
/// with exactly the weights of an uninterrupted run.</summary>
public sealed class KillAndResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-kill").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_killed_run_resumed_ends_bit_identical_to_an_uninterrupted_run(bool regularised)
    {
        // Regularised: the new augmentations, mixup/cutmix and the weight average, whose ema.dat must match too.
        string name = regularised ? "KillMix" : "Kill";
        string pipeline = Path.Combine(_folder, name + ".tl.yaml");
        string yaml = File.ReadAllText(TestFiles.TinyPipeline(_folder, name))
            .Replace("- { name: head, epochs: 1 }", "- { name: head, epochs: 12, schedule: one_cycle }", StringComparison.Ordinal);
        if (regularised)
        {
            yaml = yaml
                .Replace("  limit_per_class: 10", "  limit_per_class: 10\n  augment: [trivial_augment, pad_crop, random_erasing, { mixup: { alpha: 0.4 } }, cutmix]", StringComparison.Ordinal)
                .Replace("  runs: runs", "  runs: runs\n  ema: { decay: 0.9 }", StringComparison.Ordinal);
        }
        File.WriteAllText(pipeline, yaml);

        var whole = await CliProcess.RunAsync(null, "train", pipeline, "--runs", Path.Combine(_folder, "whole"));
        Assert.True(whole.ExitCode == 0, whole.ToString());
        string wholeRun = Directory.GetDirectories(Path.Combine(_folder, "whole", name)).Single();

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

        string killedRun = Directory.GetDirectories(Path.Combine(killedRoot, name)).Single();
        foreach (var checkpoint in Directory.GetDirectories(Path.Combine(killedRun, "checkpoints")).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            foreach (var file in new[] { "model.dat", "optimizer.dat", "rng.dat", "state.json" })
            {
                Assert.True(File.Exists(Path.Combine(checkpoint, file)), $"{checkpoint} lacks {file}");
            }
        }

        // The killed process held the run's training lock; the operating system released it with the process.
        var resumed = await CliProcess.RunAsync(null, "train", "--resume", killedRun);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());

        foreach (var file in regularised ? new[] { "model.dat", "ema.dat" } : ["model.dat"])
        {
            byte[] expected = File.ReadAllBytes(Path.Combine(LastCheckpoint(wholeRun), file));
            byte[] actual = File.ReadAllBytes(Path.Combine(LastCheckpoint(killedRun), file));
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"the resumed run's final {file} differs from the uninterrupted run's");
        }
        // The weights no phase trains are written once per run, by whichever process got there first.
        byte[] frozenWhole = File.ReadAllBytes(Path.Combine(wholeRun, "checkpoints", "frozen.dat"));
        byte[] frozenKilled = File.ReadAllBytes(Path.Combine(killedRun, "checkpoints", "frozen.dat"));
        Assert.True(frozenWhole.AsSpan().SequenceEqual(frozenKilled), "frozen.dat differs between the runs");
        Assert.Equal(File.ReadAllLines(Path.Combine(wholeRun, "metrics.csv")).Select(Losses), File.ReadAllLines(Path.Combine(killedRun, "metrics.csv")).Select(Losses));
    }

    [Fact]
    public async Task A_run_in_training_refuses_a_second_train_stays_readable_and_is_free_once_its_holder_ends()
    {
        string run = await TrainedRun("Locked", "--max-steps", "3");
        using (var held = RunLock.Acquire(RunFolder.Open(run))) // what a training process holds
        {
            var second = await CliProcess.RunAsync(null, "train", "--resume", run);
            Assert.True(second.ExitCode == 1, second.ToString());
            Assert.StartsWith($"error: {run}: the run is being trained by another process (pid {Environment.ProcessId} on ", second.Stderr, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(run, RunLock.FileName), second.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", second.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("--verbose", second.Stderr, StringComparison.Ordinal);

            var evaluate = await CliProcess.RunAsync(null, "evaluate", run, "--checkpoint", "last");
            Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        }
        var resumed = await CliProcess.RunAsync(null, "train", "--resume", run);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("finished: all phases completed", resumed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resume_whose_last_pointer_leads_outside_the_run_is_refused_and_the_offered_command_resumes()
    {
        string run = await TrainedRun("Pointer", "--max-steps", "3");
        string last = Path.Combine(run, "checkpoints", "last");
        File.WriteAllText(last, "../../../w");
        var before = Directory.GetFiles(run, "*", SearchOption.AllDirectories).Order().ToArray();

        var refused = await CliProcess.RunAsync(null, "train", "--resume", run);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.StartsWith($"error: {run}: cannot resume: {last} names '../../../w', which is outside the run's checkpoints folder", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("step 0", refused.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(run, "*", SearchOption.AllDirectories).Order());
        const string Offer = "Resume from the newest whole one explicitly with: tldsl train --resume ";
        string command = refused.Stderr.Split('\n').Single(l => l.Contains(Offer, StringComparison.Ordinal)).TrimEnd('\r');
        Assert.EndsWith($"\"{run}\" --from epoch-0000-step-00000003", command, StringComparison.Ordinal);

        var misuse = await CliProcess.RunAsync(null, "train", "--from", "epoch-0000-step-00000003");
        Assert.True(misuse.ExitCode == 2, misuse.ToString());

        var resumed = await CliProcess.RunAsync(null, "train", "--resume", run, "--from", command[(command.LastIndexOf(' ') + 1)..]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("resumed from ", resumed.Stdout + resumed.Stderr, StringComparison.Ordinal);
        Assert.Contains("finished: all phases completed, 1 epoch(s), 5 step(s)", resumed.Stdout, StringComparison.Ordinal);
        Assert.Equal("epoch-0001-step-00000005", File.ReadAllText(last).Trim());
    }

    /// <summary>Trains the tiny pipeline (80 training images, 5 steps per epoch) with <paramref name="options"/>; the run folder.</summary>
    private async Task<string> TrainedRun(string name, params string[] options)
    {
        string pipeline = TestFiles.TinyPipeline(_folder, name);
        var train = await CliProcess.RunAsync(null, ["train", pipeline, .. options]);
        Assert.True(train.ExitCode == 0, train.ToString());
        return Directory.GetDirectories(Path.Combine(_folder, "runs", name)).Single();
    }

    private static string LastCheckpoint(string run) =>
        Path.Combine(run, "checkpoints", File.ReadAllText(Path.Combine(run, "checkpoints", "last")).Trim());

    // Everything but the timing columns must match.
    private static string Losses(string csvLine) => string.Join(",", csvLine.Split(',').Take(10));
}
