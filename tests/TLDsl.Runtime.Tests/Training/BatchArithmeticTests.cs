using System;
using System.Linq;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>Batch and accumulation sizes beyond the data set train one batch (or one step) per epoch: int arithmetic on
/// them once overflowed, so <c>batch: 2147483647</c> "trained" every epoch in 0 steps and reported success.</summary>
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
        Assert.Equal(1000, huge.Test!.Count);

        // The same run as one whose batch (or window) is exactly the epoch.
        var same = Train(pipeline, sameBatch, sameAccumulate, cache);
        Assert.Equal(same.Training.Epochs.Select(e => (e.Step, e.LearningRate, e.TrainLoss, e.ValidLoss)),
            huge.Training.Epochs.Select(e => (e.Step, e.LearningRate, e.TrainLoss, e.ValidLoss)));
    }

    private SessionResult Train(string pipeline, int batch, int accumulate, bool cache)
    {
        var overrides = new TrainingOverrides
        {
            RunsRoot = _pipelines.Runs,
            CacheFeatures = cache,
            Customize = plan => plan with { BatchSize = batch, Accumulate = accumulate },
        };
        using var session = TrainingSession.Start(pipeline, overrides);
        return session.Train();
    }
}
