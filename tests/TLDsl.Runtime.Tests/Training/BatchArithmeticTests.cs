using System;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>Batch and accumulation sizes beyond the data set train one batch (or one step) per epoch: int arithmetic on
/// them once overflowed, so <c>batch: 2147483647</c> "trained" every epoch in 0 steps and reported success. Validation
/// and the session's plan check now refuse such sizes (TrainingPlanLimitTests); the <see cref="Trainer"/> and the
/// <see cref="Evaluator"/>, public on their own, still take them, so they are driven here directly.</summary>
public sealed class BatchArithmeticTests : IDisposable
{
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    [Theory]
    [InlineData(int.MaxValue, 1, true, 90, 1)]
    [InlineData(1 << 30, 1, false, 90, 1)]
    [InlineData(16, int.MaxValue, true, 16, 6)]
    public void A_batch_or_window_larger_than_the_data_trains_as_one_batch_or_window_per_epoch(int batch, int accumulate, bool cache,
        int sameBatch, int sameAccumulate)
    {
        // one_cycle over 3 steps: the rate of step 3 depends on the phase's step count, which the accumulate overflow
        // once made 0.
        string pipeline = _pipelines.Write("Huge", "- { epochs: 3, schedule: one_cycle }");
        var huge = Train(pipeline, batch, accumulate, cache);

        Assert.True(huge.Training.State.Finished);
        Assert.Equal(3, huge.Training.State.Epoch);
        Assert.Equal(3, huge.Training.State.Step); // the 90 training samples: one step per epoch
        Assert.Equal([1L, 2L, 3L], huge.Training.Epochs.Select(e => e.Step));
        Assert.All(huge.Training.Epochs, e => Assert.True(e.TrainLoss > 0, $"epoch {e.Epoch} trained nothing"));
        Assert.Equal(30, huge.Training.LastValidation!.Count); // validation in one batch too
        Assert.Equal(1000, huge.Test.Count);

        // The same run as one whose batch (or window) is exactly the epoch.
        var same = Train(pipeline, sameBatch, sameAccumulate, cache);
        Assert.Equal(same.Training.Epochs.Select(e => (e.Step, e.LearningRate, e.TrainLoss, e.ValidLoss)),
            huge.Training.Epochs.Select(e => (e.Step, e.LearningRate, e.TrainLoss, e.ValidLoss)));
    }

    private (TrainingResult Training, ClassificationMetrics Test) Train(string pipeline, int batch, int accumulate, bool cache)
    {
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs, CacheFeatures = cache });
        var training = new Trainer(session.Model, session.Data, session.Plan with { BatchSize = batch, Accumulate = accumulate }, session.Run).Run();
        Checkpoints.LoadModel(training.BestCheckpoint!, session.Model);
        var test = Evaluator.Evaluate(session.Model, session.Data.Test!, session.Data.TestIndices,
            PipelineInterpreter.Preprocessor(session.Pipeline.Spec, false), batch, session.Plan.Seed);
        return (training, test);
    }
}
