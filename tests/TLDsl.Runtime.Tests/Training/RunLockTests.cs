using System;
using System.IO;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>A session holds its run's training lock until disposed: a second train of the run is refused at once with
/// the holder named, readers still open the run, and the lock goes with its holder.</summary>
public sealed class RunLockTests : IDisposable
{
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    [Fact]
    public void A_second_session_of_a_run_in_training_is_refused_until_the_first_ends()
    {
        string pipeline = _pipelines.Write("Locked", "- { epochs: 2 }");
        string run;
        using (var first = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs }))
        {
            run = first.Run.Path;
            first.Train(stopAfterSteps: 7);

            var e = Assert.Throws<RunLockedException>(() => TrainingSession.Resume(run));
            Assert.StartsWith($"{run}: the run is being trained by another process (pid {Environment.ProcessId} on {Environment.MachineName}, since ", e.Message, StringComparison.Ordinal);
            Assert.Contains($"its lock {Path.Combine(run, RunLock.FileName)} is held", e.Message, StringComparison.Ordinal);
            Assert.Throws<RunLockedException>(() => RunLock.Acquire(RunFolder.Open(run)));

            // Reading the run (evaluate, predict, export) needs no lock.
            using var reader = RunModel.Open(run, CheckpointChoice.Last);
            Assert.EndsWith("epoch-0001-step-00000007", reader.Checkpoint, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(run, RunLock.HolderFileName)), "the holder file outlived its session");
        using var second = TrainingSession.Resume(run);
        Assert.True(second.Train().Training.State.Finished);
    }
}
