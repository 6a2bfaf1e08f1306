using System;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Training;

public sealed class BestCheckpointTests : IDisposable
{
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    [Theory]
    [InlineData(0.8, null, true, 0.0, 0.5, null, true, false)] // the first value sets the best
    [InlineData(0.9, 0.8, true, 0.0, 0.5, 0.4, true, false)] // higher accuracy wins whatever the loss
    [InlineData(0.7, 0.8, true, 0.0, 0.1, 0.4, false, false)] // lower accuracy loses whatever the loss
    [InlineData(0.8, 0.8, true, 0.0, 0.3, 0.4, false, true)] // a tie with a lower validation loss becomes the best
    [InlineData(0.8, 0.8, true, 0.0, 0.5, 0.4, false, false)] // a tie with a higher one does not
    [InlineData(0.8, 0.8, true, 0.0, 0.4, 0.4, false, false)] // nor with an equal one: the earlier epoch stays
    [InlineData(0.8, 0.8, true, 0.0, null, 0.4, false, false)] // no validation loss: no tie-break
    [InlineData(0.85, 0.8, true, 0.1, 0.1, 0.4, false, false)] // within min_delta but not equal: not a tie
    [InlineData(0.3, 0.3, false, 0.0, 0.2, 0.4, false, true)] // a minimised metric (train.loss) ties the same way
    [InlineData(null, 0.8, true, 0.0, 0.2, 0.4, false, false)] // no value this epoch
    public void A_tie_on_the_monitored_metric_is_broken_by_the_lower_validation_loss(double? value, double? best, bool maximize, double minDelta,
        double? validLoss, double? bestValidLoss, bool improved, bool tieWon) =>
        Assert.Equal((improved, tieWon), Trainer.Compare(value, best, maximize, minDelta, validLoss, bestValidLoss));

    [Fact]
    public void The_best_checkpoint_is_the_lowest_validation_loss_among_the_epochs_of_the_best_accuracy()
    {
        // A rate so small that no validation prediction changes (every epoch ties on accuracy) while the loss falls.
        string pipeline = _pipelines.Write("Ties", "- { epochs: 4, schedule: constant }", head: "[linear: labels]",
            optimizer: "{ adamw: { lr: 1e-5, weight_decay: 0 } }");
        SessionResult result;
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs }))
        {
            result = session.Train();
        }
        var epochs = result.Training.Epochs;
        double top = epochs.Max(e => e.ValidAccuracy!.Value);
        var tied = epochs.Where(e => e.ValidAccuracy == top).ToList();
        var expected = tied.OrderBy(e => e.ValidLoss).ThenBy(e => e.Epoch).First();
        // The run must hold a tie that the loss decides, or this test would not tell the rule from "first wins".
        Assert.True(expected.Epoch != tied[0].Epoch,
            $"no tie to break: accuracies {string.Join(", ", epochs.Select(e => $"{e.ValidAccuracy:F3}/{e.ValidLoss:F4}"))}");
        Assert.Equal(expected.Epoch, Checkpoints.ReadState(result.Training.BestCheckpoint!).Epoch);
    }
}
