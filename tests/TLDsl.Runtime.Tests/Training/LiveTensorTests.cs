using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Tests.Data;
using TLDsl.Runtime.Training;
using TorchSharp;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>
/// Every training path frees each batch's tensors when the batch ends, not when a finalizer gets to them: the calling
/// thread's live-tensor count (TorchSharp's dispose-scope statistics count every tensor created on the thread and not
/// yet disposed) is the same after every batch as after the first. A tensor that escapes a batch's dispose scope adds
/// one to the count per batch, deterministically, long before it shows up as memory. (Issue #18: RSS climbed
/// 1 → 3.9 GB over phase 2 of a gradual-unfreezing run.)
/// </summary>
public sealed class LiveTensorTests : IDisposable
{
    private const string Augment = "[flip, { random_resized_crop: { scale: [0.6, 1] } }, { rotation: { degrees: 10 } }]";

    private readonly TempDir _dir = new();

    public LiveTensorTests()
    {
        // Three classes of six small images with some texture, so batch norm and the loss see varied inputs.
        foreach (var (name, shade) in new[] { ("cat", 30), ("dog", 120), ("emu", 210) })
        {
            for (int i = 0; i < 6; i++)
            {
                byte[] pixels = new byte[24 * 24 * 3];
                for (int p = 0; p < pixels.Length; p++)
                {
                    pixels[p] = (byte)((shade + (p * (i + 3) % 41)) % 256);
                }
                ImageFiles.WritePng(_dir.File("data", name, $"{i}.png"), pixels, 24, 24, 3);
            }
        }
    }

    public void Dispose() => _dir.Dispose();

    private static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    private string Pipeline(string name, string model, int size, string freeze, string phases, string augment, string train = "")
    {
        string path = _dir.File(name + ".tl.yaml");
        File.WriteAllText(path, $$"""
            version: 1
            name: {{name}}
            base: { model: {{model}}, weights: none }
            input: { size: [{{size}}, {{size}}], channels: 3 }
            labels: from_data
            head: [linear: labels]
            {{freeze}}
            data:
              train: { folder: data }
              valid: { split: 0.25, seed: 1 }
              augment: {{augment}}
            train: { seed: 5, batch: 4, optimizer: { adamw: { lr: 1e-3 } }, runs: runs, phases: {{phases}}{{train}} }
            """);
        return path;
    }

    private string SmallCnn(string name, bool frozen, bool augment, bool clip = false) =>
        Pipeline(name, "small_cnn", 16, frozen ? "freeze: [backbone]" : "", "[{ epochs: 2 }]", augment ? Augment : "[]",
            clip ? ", clip_grad_norm: 0.5" : "");

    /// <summary>Trains the pipeline on this thread and returns the live count after every batch, per phase.</summary>
    private static List<(bool Cached, List<long> Counts)> TrainCounting(string pipeline, bool cache)
    {
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { CacheFeatures = cache });
        var observer = new CountingObserver();
        new Trainer(session.Model, session.Data, session.Plan, session.Run, observer).Run();
        return observer.Phases;
    }

    private static void AssertFlat(List<(bool Cached, List<long> Counts)> phases, params bool[] cached)
    {
        Assert.Equal(cached, phases.Select(p => p.Cached));
        foreach (var (_, counts) in phases)
        {
            // Two epochs of at least three batches each: the second epoch's batches also see whatever validation and
            // the checkpoint of the first left behind.
            Assert.True(counts.Count >= 6, $"only {counts.Count} batches ran");
            // The first batch creates the gradients and the optimizer's state; every later batch ends where it ended.
            long baseline = counts[0];
            Assert.True(counts.All(c => c == baseline),
                $"live tensors after each batch: {string.Join(", ", counts)} (baseline {baseline})");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_frozen_backbone_with_cached_features_frees_every_batch(bool augment)
    {
        // With augmentation the cache would not be exact, so that run takes the uncached path (checked below).
        AssertFlat(TrainCounting(SmallCnn("FrozenCached", frozen: true, augment), cache: true), !augment);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_frozen_backbone_without_the_cache_frees_every_batch(bool augment)
    {
        AssertFlat(TrainCounting(SmallCnn("FrozenUncached", frozen: true, augment), cache: false), false);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Full_fine_tuning_frees_every_batch(bool augment, bool clip)
    {
        // Clipping reads every gradient once more per step.
        AssertFlat(TrainCounting(SmallCnn("FineTune", frozen: false, augment, clip), cache: true), false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_cached_prefix_feeding_a_trainable_suffix_frees_every_batch(bool augment)
    {
        // Gradual unfreezing as in the issue: the head on cached features, then layer4 trains on layer3's cached output.
        string pipeline = Pipeline("Unfreeze", "resnet18", 32, "freeze: [backbone]",
            "[{ name: head, epochs: 2 }, { name: layer4, epochs: 2, unfreeze: [layer4] }]", augment ? Augment : "[]");
        AssertFlat(TrainCounting(pipeline, cache: true), !augment, !augment);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_learning_rate_finder_frees_every_step(bool cache)
    {
        string pipeline = SmallCnn("Finder", frozen: true, augment: false);
        var file = PipelineFile.Parse(File.ReadAllText(pipeline), pipeline);
        var labels = PipelineInterpreter.Labels(file);
        var data = PipelineInterpreter.DataPlan(file, labels);
        var plan = PipelineInterpreter.TrainingPlan(file.Spec) with { CacheFeatures = cache };
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, labels), file.Spec.Name);

        // The sweep keeps nothing: what a sweep of 4 steps or of 12 leaves alive is nothing at all.
        foreach (int steps in new[] { 4, 12 })
        {
            long before = Live;
            var result = LearningRateFinder.Run(model, data, plan, new LearningRateFinderOptions(1e-5, 1e-3, steps, DivergeFactor: 1e9));
            Assert.Equal(steps, result.Losses.Count);
            Assert.Equal(cache, result.CachedFeatures);
            Assert.Equal(0, Live - before);
        }
    }

    [Fact]
    public void Evaluation_and_prediction_free_every_batch()
    {
        string pipeline = SmallCnn("Predict", frozen: false, augment: false);
        string run;
        using (var session = TrainingSession.Start(pipeline))
        {
            session.Train();
            run = session.Run.Path;
        }
        using var model = RunModel.Open(run);
        var data = PipelineInterpreter.DataPlan(model.Pipeline, model.Labels);
        string[] images = Directory.GetFiles(_dir.File("data"), "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

        // One batch or many: nothing of them stays alive.
        foreach (int batch in new[] { 18, 2 })
        {
            long before = Live;
            var metrics = Evaluator.Evaluate(model.Model, data.Train, data.TrainIndices, model.Preprocessor, batch, seed: 1);
            Assert.Equal(data.TrainIndices.Length, metrics.Count);
            Assert.Equal(0, Live - before);

            before = Live;
            Assert.Equal(images.Length, model.Predict(images, topK: 2, batchSize: batch).Count);
            Assert.Equal(0, Live - before);
        }
    }

    [Theory]
    [InlineData("[mixup]", false)]
    [InlineData("[cutmix, trivial_augment, pad_crop, random_erasing]", false)]
    [InlineData("[{ mixup: { alpha: 0.4 } }, cutmix]", true)]
    public void Mixing_the_new_augmentations_and_the_weight_average_free_every_batch(string augment, bool ema)
    {
        // Mixup/cutmix disable the cache, and the average adds tensors once, at the start, never per batch.
        string pipeline = Pipeline("Mixed", "small_cnn", 16, "freeze: [backbone]", "[{ epochs: 2 }]", augment, ema ? ", ema: { decay: 0.9 }" : "");
        AssertFlat(TrainCounting(pipeline, cache: true), false);
    }

    [Fact]
    public void Test_time_augmented_evaluation_and_prediction_free_every_batch()
    {
        string pipeline = Pipeline("Tta", "small_cnn", 16, "", "[{ epochs: 1 }]", "[]\n  tta: [flip, rotate90]", ", ema: { decay: 0.9 }");
        string run;
        using (var session = TrainingSession.Start(pipeline))
        {
            session.Train();
            run = session.Run.Path;
        }
        using var model = RunModel.Open(run);
        Assert.Equal(3, model.Preprocessor.TestViews.Count + 1);
        var data = PipelineInterpreter.DataPlan(model.Pipeline, model.Labels);
        string[] images = Directory.GetFiles(_dir.File("data"), "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        foreach (int batch in new[] { 18, 2 })
        {
            long before = Live;
            Evaluator.Evaluate(model.Model, data.Train, data.TrainIndices, model.Preprocessor, batch, seed: 1);
            Assert.Equal(0, Live - before);

            before = Live;
            model.Predict(images, topK: 2, batchSize: batch);
            Assert.Equal(0, Live - before);
        }
    }

    /// <summary>Samples the live count after each batch (the trainer calls observers on its own thread).</summary>
    private sealed class CountingObserver : ITrainingObserver
    {
        public List<(bool Cached, List<long> Counts)> Phases { get; } = [];

        public void PhaseStarted(string phase, int phaseIndex, int phaseCount, int epochs, bool cachedFeatures) =>
            Phases.Add((cachedFeatures, []));

        public void FeatureCaching(int done, int total)
        {
        }

        public void BatchCompleted(int epoch, int batch, int batchesPerEpoch, double loss, double learningRate) =>
            Phases[^1].Counts.Add(Live);

        public void EpochCompleted(EpochRecord record)
        {
        }

        public void Message(string text)
        {
        }
    }
}
