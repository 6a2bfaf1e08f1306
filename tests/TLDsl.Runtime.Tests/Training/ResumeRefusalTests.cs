using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>A resume never starts a run over: a missing or broken <c>checkpoints/last</c> is refused with the pointer
/// named, the checkpoints listed and the newest whole one offered, and nothing is written to the run; resuming from
/// that checkpoint explicitly ends where an uninterrupted run ends.</summary>
public sealed class ResumeRefusalTests : IDisposable
{
    private const string Name = "Refuse";
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    // 90 training samples in batches of 16: 6 steps per epoch; every checkpoint kept.
    private string Pipeline() => _pipelines.Write(Name, "- { epochs: 3 }", extra: "checkpoint: { keep: all }");

    /// <summary>A run stopped at step 14 (mid epoch 3): checkpoints at steps 6, 12 and 14, <c>last</c> naming step 14.</summary>
    private string StoppedRun(string pipeline)
    {
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs });
        Assert.Equal(14, session.Train(stopAfterSteps: 14).Training.State.Step);
        return session.Run.Path;
    }

    private static Dictionary<string, string> Snapshot(string run) =>
        Directory.GetFiles(run, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(run, f),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static string Refused(string run, string? from = null)
    {
        var before = Snapshot(run);
        var e = Assert.Throws<CheckpointException>(() => TrainingSession.Resume(run, fromCheckpoint: from));
        Assert.Equal(before, Snapshot(run)); // nothing written, nothing removed
        Assert.Contains($"{run}: cannot resume: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("A resume never starts a run over.", e.Message, StringComparison.Ordinal);
        return e.Message;
    }

    [Fact]
    public void A_missing_or_broken_last_pointer_is_refused_and_the_newest_whole_checkpoint_resumes_explicitly()
    {
        string pipeline = Pipeline();
        string run = StoppedRun(pipeline);
        string checkpoints = Path.Combine(run, "checkpoints");
        string last = Path.Combine(checkpoints, "last");
        Assert.Equal("epoch-0002-step-00000014", File.ReadAllText(last).Trim());
        const string Listing = "epoch-0001-step-00000006 (epoch 1, step 6), epoch-0002-step-00000012 (epoch 2, step 12), epoch-0002-step-00000014 (epoch 2, step 14)";

        File.Delete(last);
        string message = Refused(run);
        Assert.Contains($"{last} is missing", message, StringComparison.Ordinal);
        Assert.Contains($"Checkpoints in {checkpoints}: {Listing}.", message, StringComparison.Ordinal);
        Assert.EndsWith($"tldsl train --resume \"{run}\" --from epoch-0002-step-00000014", message, StringComparison.Ordinal);

        // Outside the run, even where a whole checkpoint folder exists there (it once became the resume point).
        CopyFolder(Path.Combine(checkpoints, "epoch-0002-step-00000014"), Path.GetFullPath(Path.Combine(checkpoints, "..", "..", "..", "w")));
        File.WriteAllText(last, "../../../w");
        Assert.Contains($"{last} names '../../../w', which is outside the run's checkpoints folder", Refused(run), StringComparison.Ordinal);
        File.WriteAllText(last, Path.Combine(checkpoints, "epoch-0002-step-00000014"));
        Assert.Contains("which is a path, where a checkpoint's folder name belongs", Refused(run), StringComparison.Ordinal);

        File.WriteAllText(last, "epoch-0009-step-00000099");
        Assert.Contains($"{last} names 'epoch-0009-step-00000099', which does not exist", Refused(run), StringComparison.Ordinal);

        // The latest checkpoint unfinished: the newest whole one is step 12.
        File.WriteAllText(last, "epoch-0002-step-00000014");
        File.Delete(Path.Combine(checkpoints, "epoch-0002-step-00000014", "state.json"));
        message = Refused(run);
        Assert.Contains("which is unfinished: lacks state.json", message, StringComparison.Ordinal);
        Assert.Contains("epoch-0002-step-00000014 (unfinished: lacks state.json)", message, StringComparison.Ordinal);
        Assert.EndsWith("--from epoch-0002-step-00000012", message, StringComparison.Ordinal);

        // --from must name a whole checkpoint of this run.
        Assert.Contains("is not a checkpoint of this run", Refused(run, Path.Combine(_pipelines.Runs, "w")), StringComparison.Ordinal);
        Assert.Contains("the checkpoint 'epoch-0002-step-00000014' is unfinished", Refused(run, "epoch-0002-step-00000014"), StringComparison.Ordinal);

        // The offered checkpoint resumes (by name or by path). Stopping again at step 14 replaces the unfinished folder
        // of that name with a whole checkpoint, and the next plain resume finishes the run.
        using (var explicitResume = TrainingSession.Resume(run, fromCheckpoint: Path.Combine(checkpoints, "epoch-0002-step-00000012")))
        {
            Assert.Equal(14, explicitResume.Train(stopAfterSteps: 14).Training.State.Step);
        }
        Assert.Equal(Checkpoints.Files, Directory.GetFiles(Path.Combine(checkpoints, "epoch-0002-step-00000014")).Select(Path.GetFileName).Order());
        SessionResult resumed;
        using (var plain = TrainingSession.Resume(run))
        {
            resumed = plain.Train();
        }
        Assert.True(resumed.Training.State.Finished);
        Assert.Equal(18, resumed.Training.State.Step);

        SessionResult whole;
        using (var uninterrupted = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(_pipelines.Folder, "whole") }))
        {
            whole = uninterrupted.Train();
        }
        var expected = Checkpoints.ReadWeights(whole.Training.LastCheckpoint!);
        var actual = Checkpoints.ReadWeights(resumed.Training.LastCheckpoint!);
        Assert.All(expected, kv => Assert.True(kv.Value.eq(actual[kv.Key]).all().item<bool>(), $"{kv.Key} differs after the explicit resume"));
        Assert.Equal(File.ReadAllLines(Path.Combine(whole.Run.Path, "metrics.csv")).Select(Losses), File.ReadAllLines(Path.Combine(run, "metrics.csv")).Select(Losses));
    }

    [Fact]
    public void A_run_without_any_checkpoint_is_refused_rather_than_started_over()
    {
        string run;
        using (var session = TrainingSession.Start(Pipeline(), new TrainingOverrides { RunsRoot = _pipelines.Runs }))
        {
            run = session.Run.Path; // killed before its first checkpoint
        }
        string message = Refused(run);
        Assert.Contains("Checkpoints in ", message, StringComparison.Ordinal);
        Assert.EndsWith(": none. No whole checkpoint is left to resume from; start a new run with 'tldsl train <pipeline>'.", message, StringComparison.Ordinal);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    // Every column but the timings.
    private static string Losses(string csvLine) => string.Join(",", csvLine.Split(',').Take(10));
}
