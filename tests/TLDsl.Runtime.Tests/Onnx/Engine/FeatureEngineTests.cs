using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Registries;
using TorchSharp;
using Xunit.Abstractions;
using TLDsl.Runtime.Tests.Training;
using static TLDsl.Runtime.Tests.Onnx.Export.ExportTestSupport;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Onnx.Engine;

/// <summary>ONNX Runtime as the engine of the frozen feature cache: the prefix exported on the fly computes
/// TorchSharp's features (within 1e-4 of the largest value) for every catalogue model and the ImageNet ResNet-18, a
/// cache built by it frees every batch, and the run records the engine so that a resume uses it.</summary>
public sealed class FeatureEngineTests(ITestOutputHelper output) : IDisposable
{
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    public static TheoryData<string> CatalogueModels => new(ModelZoo.All.Select(a => a.Name).Order(StringComparer.Ordinal));

    private static TransferModel Build(BaseArchitecture architecture, WeightsSource weights, int size)
    {
        torch.manual_seed(7);
        // The whole original classifier goes (VGG's 25088x4096 matrices would only make the case slow).
        var drop = architecture.Classifier is null ? Array.Empty<string>() : [architecture.Classifier.Split('.')[0]];
        var model = TransferModelBuilder.Build(new TransferModelPlan(architecture, weights, drop, null, [new HeadLayer(HeadLayerKind.Linear, Size: 3)], [], (size, size)));
        if (weights is NoWeights)
        {
            RandomiseNorms(model, 11);
        }
        model.eval();
        return model;
    }

    /// <summary>The largest difference between the engines' outputs of steps [0, <paramref name="steps"/>), relative
    /// to the largest value.</summary>
    private static double Difference(TransferModel model, int steps, Tensor batch, int threads = 2)
    {
        using var ort = OrtForward.Create(model, steps, batch.shape[1..], threads);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = model.RunSteps(batch, 0, steps);
        var actual = ort.Run(batch);
        Assert.Equal(expected.shape, actual.shape);
        return (actual - expected).abs().max().item<float>() / expected.abs().max().item<float>();
    }

    [Theory]
    [MemberData(nameof(CatalogueModels))]
    public void Every_catalogue_models_prefix_gives_torchsharps_features_in_onnx_runtime(string name)
    {
        var architecture = ModelZoo.Get(name);
        int size = architecture.InputChannels == 1 ? 32 : 64;
        using var model = Build(architecture, WeightsSource.None, size);
        var preprocessor = new ImagePreprocessor((size, size), architecture.InputChannels, architecture.DefaultNormalization, []);
        using var batch = Batch(preprocessor, FourImages());

        // The whole backbone (a frozen backbone's cache) and its first half (a prefix feeding trainable layers).
        foreach (int steps in new[] { model.Steps.Count, Math.Max(1, model.Steps.Count / 2) })
        {
            double relative = Difference(model, steps, batch);
            output.WriteLine($"{name}, {steps} of {model.Steps.Count} steps: largest difference {relative:G3} of the largest value");
            Assert.True(relative <= 1e-4, $"{name}: steps [0, {steps}) differ by {relative:G3} of the largest value");
        }
    }

    [Fact]
    public void The_imagenet_resnet18_prefix_gives_torchsharps_features_in_onnx_runtime()
    {
        var architecture = ModelZoo.Get("resnet18_imagenet");
        using var model = Build(architecture, new NamedWeightsSource("imagenet"), 112);
        var preprocessor = new ImagePreprocessor((112, 112), 3, architecture.NormalizationFor("imagenet"), []);
        using var batch = Batch(preprocessor, FourImages());
        double relative = Difference(model, model.Steps.Count, batch);
        output.WriteLine($"resnet18_imagenet at 112: largest difference {relative:G3} of the largest value");
        Assert.True(relative <= 1e-4, $"differs by {relative:G3} of the largest value");
    }

    [Theory]
    [InlineData(2, 1L << 30)]
    [InlineData(3, 1L << 30)]
    [InlineData(2, 0L)]
    public void A_cache_computed_by_onnx_runtime_frees_every_batch_and_holds_torchsharps_features(int batchSize, long memoryBytes)
    {
        var architecture = ModelZoo.Get("small_cnn");
        using var model = Build(architecture, WeightsSource.None, 32);
        var preprocessor = new ImagePreprocessor((32, 32), architecture.InputChannels, architecture.DefaultNormalization, []);
        var images = FourImages().Concat(FourImages()).ToArray();
        var source = new Images(images);
        int[] indices = Enumerable.Range(0, images.Length).ToArray();
        int prefix = model.Steps.Count;
        using var scratch = new TempFolder();

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var engine = new FeatureEngine(model, prefix, InferenceEngine.Ort, 2, _ => { }))
        using (var cache = FeatureCache.Build(model, prefix, source, indices, preprocessor, batchSize, 1, memoryBytes, scratch.Path, NullTrainingObserver.Instance, engine))
        {
            Assert.Equal(InferenceEngine.Ort, engine.Used);
            // Only the cache's own tensor (none when it lives in a file) outlives the build.
            Assert.Equal(memoryBytes > 0 ? 1 : 0, DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var expected = model.RunSteps(preprocessor.Batch(source, indices, train: false, 1, 0), 0, prefix);
            var cached = cache.Gather(indices);
            double relative = (cached - expected).abs().max().item<float>() / expected.abs().max().item<float>();
            Assert.True(relative <= 1e-4, $"cached features differ by {relative:G3} of the largest value");
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
    }

    [Fact]
    public void The_engine_words_parse_and_auto_resolves_to_a_concrete_engine()
    {
        foreach (var engine in Enum.GetValues<InferenceEngine>())
        {
            Assert.Equal(engine, InferenceEngines.TryParse(InferenceEngines.Name(engine)));
            Assert.NotEqual(InferenceEngine.Auto, InferenceEngines.Resolve(engine));
        }
        Assert.Null(InferenceEngines.TryParse("foo"));
        Assert.Throws<ArgumentOutOfRangeException>(() => InferenceEngines.Name((InferenceEngine)42));
        Assert.Throws<ArgumentOutOfRangeException>(() => InferenceEngines.Resolve((InferenceEngine)42));
    }

    [Fact]
    public void A_run_records_onnx_runtime_and_its_resume_uses_it_bit_identically()
    {
        const string phases = """
            - { name: head, epochs: 1, schedule: one_cycle }
            - { name: layer4, epochs: 1, unfreeze: [layer4] }
            """;
        // 40 training samples in batches of 16: 3 steps per epoch; the stop falls in the second (uncached-suffix) phase.
        string pipeline = _pipelines.Write("OrtResume", phases, perClass: 5);
        var overrides = new TrainingOverrides { RunsRoot = _pipelines.Runs, Engine = InferenceEngine.Ort };
        SessionResult whole;
        using (var session = TrainingSession.Start(pipeline, overrides))
        {
            whole = session.Train();
        }

        string run;
        using (var first = TrainingSession.Start(pipeline, overrides))
        {
            Assert.False(first.Train(stopAfterSteps: 4).Training.State.Finished);
            run = first.Run.Path;
        }
        Assert.Contains("\"feature_engine\": \"ort\"", File.ReadAllText(Path.Combine(run, "plan.json")), StringComparison.Ordinal);

        // Another engine than the run's is refused, naming the setting; auto takes the run's.
        var refused = Assert.Throws<PipelineException>(() => TrainingSession.Resume(run, overrides with { Engine = InferenceEngine.Torch }));
        Assert.Contains("feature_engine: started with ort", refused.Message, StringComparison.Ordinal);
        using var second = TrainingSession.Resume(run);
        Assert.Equal(InferenceEngine.Ort, second.Plan.FeatureEngine);
        var resumed = second.Train();

        var a = Checkpoints.ReadWeights(whole.Training.LastCheckpoint!);
        var b = Checkpoints.ReadWeights(resumed.Training.LastCheckpoint!);
        foreach (var key in a.Keys)
        {
            Assert.True(a[key].eq(b[key]).all().item<bool>(), $"{key} differs after resume");
        }
        Assert.Equal(whole.Training.Epochs.Select(e => (e.TrainLoss, e.ValidLoss)), resumed.Training.Epochs.Select(e => (e.TrainLoss, e.ValidLoss)));
    }

    [Fact]
    public void A_run_with_torch_features_records_no_engine_and_resumes_with_torch()
    {
        string pipeline = _pipelines.Write("TorchResume", "- { epochs: 1 }", perClass: 5);
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs, Engine = InferenceEngine.Torch });
        session.Train(stopAfterSteps: 2);
        Assert.DoesNotContain("feature_engine", File.ReadAllText(Path.Combine(session.Run.Path, "plan.json")), StringComparison.Ordinal);
        Assert.Equal(InferenceEngine.Torch, PlanRecord.RecordedFeatureEngine(session.Run.Path));
    }

    private sealed class Images(DecodedImage[] images) : IImageSource
    {
        public int Count => images.Length;

        public System.Collections.Generic.IReadOnlyList<string> Labels => ExportLabels;

        public int LabelOf(int index) => index % 3;

        public string NameOf(int index) => $"image {index}";

        public DecodedImage Decode(int index) => images[index];
    }

    private static readonly string[] ExportLabels = ["cat", "dog", "fox"];
}
