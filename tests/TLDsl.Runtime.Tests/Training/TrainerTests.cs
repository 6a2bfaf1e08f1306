using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    private const string TwoPhases = """
        - { name: head, epochs: 2, schedule: one_cycle }
        - { name: layer4, epochs: 1, unfreeze: [layer4], lr: { "layer4": 1e-4, head: 1e-3 }, schedule: { cosine: { warmup_epochs: 0 } } }
        """;

    private SessionResult Train(string pipeline, bool cache = true, long? stopAfter = null, InferenceEngine engine = InferenceEngine.Auto)
    {
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs, CacheFeatures = cache, Engine = engine });
        return session.Train(stopAfterSteps: stopAfter);
    }

    private static System.Collections.Generic.Dictionary<string, Tensor> Weights(SessionResult result) =>
        Checkpoints.ReadWeights(result.Training.LastCheckpoint!);

    [Fact]
    public void Cached_and_uncached_training_of_a_frozen_backbone_reach_the_same_weights()
    {
        string pipeline = _pipelines.Write("CacheParity", "- { epochs: 3 }");
        // TorchSharp computes the cached features here, so the cache alone is compared; ONNX Runtime's features (the
        // default engine, within ~1e-6) are compared with TorchSharp's in FeatureEngineTests.
        var cached = Train(pipeline, cache: true, engine: InferenceEngine.Torch);
        var uncached = Train(pipeline, cache: false, engine: InferenceEngine.Torch);

        Assert.NotNull(cached.Training.Epochs[0].FeatureCacheSeconds);
        Assert.Null(uncached.Training.Epochs[0].FeatureCacheSeconds);
        var a = Weights(cached);
        var b = Weights(uncached);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)))
        {
            double diff = (a[key] - b[key]).abs().max().item<float>();
            Assert.True(diff < 1e-5, $"{key} differs by {diff}");
        }
        Assert.Equal(cached.Training.Epochs.Select(e => e.ValidAccuracy), uncached.Training.Epochs.Select(e => e.ValidAccuracy));
    }

    [Fact]
    public void A_run_stopped_mid_phase_and_resumed_ends_bit_identical_to_an_uninterrupted_run()
    {
        string pipeline = _pipelines.Write("Resume", TwoPhases);
        var whole = Train(pipeline);

        string run;
        using (var first = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs }))
        {
            var stopped = first.Train(stopAfterSteps: 4);
            Assert.False(stopped.Training.State.Finished);
            Assert.Equal(4, stopped.Training.State.Step);
            run = first.Run.Path;
        }
        using var second = TrainingSession.Resume(run);
        var resumed = second.Train();
        Assert.True(resumed.Training.State.Finished);

        var a = Weights(whole);
        var b = Weights(resumed);
        foreach (var key in a.Keys)
        {
            Assert.True(a[key].eq(b[key]).all().item<bool>(), $"{key} differs after resume");
        }
        Assert.Equal(whole.Training.Epochs.Select(e => (e.TrainLoss, e.ValidLoss)), resumed.Training.Epochs.Select(e => (e.TrainLoss, e.ValidLoss)));
        Assert.Equal(whole.Test!.Accuracy, resumed.Test!.Accuracy);
    }

    [Fact]
    public void Gradual_unfreezing_changes_layer4_only_from_phase_two_and_with_its_own_rate()
    {
        string pipeline = _pipelines.Write("Gradual", TwoPhases);
        System.Collections.Generic.Dictionary<string, Tensor> initial, mid;
        string run;
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs }))
        {
            initial = session.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var afterPhase1 = session.Train(stopAfterSteps: 12); // phase 1: 2 epochs x 6 steps (90 samples in batches of 16)
            Assert.Equal(12, afterPhase1.Training.State.Step);
            mid = Weights(afterPhase1);
            run = session.Run.Path;
        }
        Assert.True(initial["layer4.1.conv1.weight"].eq(mid["layer4.1.conv1.weight"]).all().item<bool>(), "layer4 moved in phase 1");
        Assert.False(initial["head.1.weight"].eq(mid["head.1.weight"]).all().item<bool>(), "the head did not train in phase 1");

        using var resumed = TrainingSession.Resume(run);
        var end = Weights(resumed.Train());
        double layer4Step = (end["layer4.1.conv1.weight"] - mid["layer4.1.conv1.weight"]).abs().max().item<float>();
        Assert.True(layer4Step > 0, "layer4 did not train in phase 2");
        // AdamW moves each weight by about its learning rate per step: layer4's rate is 1e-4 (6 steps), far below the head's.
        Assert.True(layer4Step < 6 * 1e-4 * 1.5, $"layer4 moved {layer4Step}, more than its learning rate allows");
        Assert.True(initial["layer3.1.conv1.weight"].eq(end["layer3.1.conv1.weight"]).all().item<bool>(), "layer3 must stay frozen");
    }

    [Fact]
    public void A_diverging_loss_stops_with_a_clear_message_and_no_checkpoint_after_it()
    {
        string pipeline = _pipelines.Write("Diverge", "- { epochs: 2 }", head: "[linear: labels]", optimizer: "{ sgd: { lr: 1e37, momentum: 0.9 } }");
        var e = Assert.Throws<TrainingDivergedException>(() => Train(pipeline));
        Assert.Contains("the training loss became", e.Message, StringComparison.Ordinal);
        Assert.Contains("Lower the learning rate or clip gradients.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_never_reuse_a_folder_and_write_metrics_plots_and_a_summary()
    {
        string pipeline = _pipelines.Write("Folders", "- { epochs: 1 }");
        var first = Train(pipeline);
        var second = Train(pipeline);
        Assert.NotEqual(first.Run.Path, second.Run.Path);
        foreach (var file in new[] { "metrics.csv", "summary.json", "pipeline.tl.yaml", "test-report.txt", "plots/training.png", "plots/test-confusion.png" })
        {
            Assert.True(File.Exists(Path.Combine(first.Run.Path, file)), file);
        }
        Assert.Equal(1000, first.Test!.Count); // the whole committed test sample
        Assert.DoesNotContain(Directory.GetDirectories(first.Run.Checkpoints), d => Path.GetFileName(d).StartsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Early_stopping_ends_the_run_when_the_metric_stops_improving()
    {
        string pipeline = _pipelines.Write("Early", "- { epochs: 30 }", optimizer: "{ sgd: { lr: 1e-9 } }",
            extra: "early_stopping: { metric: valid.loss, patience: 2, min_delta: 0.01 }");
        var result = Train(pipeline);
        Assert.Equal("early stopping", result.Training.State.StopReason);
        Assert.Equal(3, result.Training.State.Epoch); // epoch 1 sets the best; 2 and 3 do not improve on it
    }
}

public sealed class EpochOrderTests
{
    [Fact]
    public void The_data_order_is_the_same_in_every_process()
    {
        // A golden value: a resumed run in a new process must replay exactly this order (HashCode.Combine, randomised
        // per process, once broke that).
        Assert.Equal([0, 7, 6, 5, 1, 4, 2, 8, 9, 3], Trainer.EpochOrder(10, 42, 3));
        Assert.NotEqual(Trainer.EpochOrder(10, 42, 3), Trainer.EpochOrder(10, 42, 4));
    }
}
