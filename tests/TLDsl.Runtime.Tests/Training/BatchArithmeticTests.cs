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
    [InlineData(int.MaxValue, 1, true)]
    [InlineData(1 << 30, 1, false)]
    [InlineData(16, int.MaxValue, true)]
    public void A_batch_or_window_larger_than_the_data_trains_one_step_per_epoch(int batch, int accumulate, bool cache)
    {
        string pipeline = _pipelines.Write("Huge", "- { epochs: 2 }");
        var overrides = new TrainingOverrides
        {
            RunsRoot = _pipelines.Runs,
            CacheFeatures = cache,
            Customize = plan => plan with { BatchSize = batch, Accumulate = accumulate },
        };
        using var session = TrainingSession.Start(pipeline, overrides);
        var result = session.Train();

        Assert.True(result.Training.State.Finished);
        Assert.Equal(2, result.Training.State.Epoch);
        Assert.Equal(2, result.Training.State.Step); // the 90 training samples: one step per epoch
        Assert.Equal([1L, 2L], result.Training.Epochs.Select(e => e.Step));
        Assert.All(result.Training.Epochs, e => Assert.True(e.TrainLoss > 0, $"epoch {e.Epoch} trained nothing"));
        Assert.Equal(30, result.Training.LastValidation!.Count); // validation in one batch too
        Assert.Equal(1000, result.Test!.Count);
    }
}
