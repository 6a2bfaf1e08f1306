using System;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training;

public sealed class LearningRateFinderTests : IDisposable
{
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    private static LearningRateFinderResult Sweep(PipelineFile pipeline, bool cache, int steps)
    {
        var labels = PipelineInterpreter.Labels(pipeline);
        var data = PipelineInterpreter.DataPlan(pipeline, labels);
        var plan = PipelineInterpreter.TrainingPlan(pipeline.Spec) with { CacheFeatures = cache };
        manual_seed(plan.Seed);
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(pipeline, labels), pipeline.Spec.Name);
        return LearningRateFinder.Run(model, data, plan, new LearningRateFinderOptions(Steps: steps));
    }

    [Fact]
    public void A_frozen_backbone_sweep_computes_its_features_once_and_finds_the_same_curve()
    {
        // 90 training images in batches of 16: 12 steps visit every image, so the finder caches the frozen backbone.
        var pipeline = PipelineFile.Load(_pipelines.Write("Finder", "- { epochs: 1 }"));
        var cached = Sweep(pipeline, cache: true, steps: 12);
        var plain = Sweep(pipeline, cache: false, steps: 12);

        Assert.True(cached.CachedFeatures);
        Assert.False(plain.CachedFeatures);
        Assert.Equal(plain.LearningRates, cached.LearningRates);
        Assert.Equal(12, cached.Losses.Count);
        // The cached features come from ONNX Runtime (within ~1e-6 of TorchSharp's, relative), and the sweep's last steps
        // drive the loss past 100: agreement is relative.
        Assert.All(plain.Losses.Zip(cached.Losses), p => Assert.True(Math.Abs(p.First - p.Second) < 1e-4 * Math.Max(1, Math.Abs(p.First)), $"{p.First} vs {p.Second}"));

        // Fewer steps than images: caching every image would cost more than the sweep, so it runs uncached.
        Assert.False(Sweep(pipeline, cache: true, steps: 3).CachedFeatures);
    }
}
