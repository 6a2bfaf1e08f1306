using System;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Spec.Catalogue;
using TLDsl.Tests.PyTorch;
using Xunit.Abstractions;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>A 1-channel ONNX base (a PyTorch-exported grayscale CNN, input float [batch, 1, 28, 28]) takes its input
/// channels from the graph: it builds, trains through a pipeline and evaluates.</summary>
public sealed class GrayscaleOnnxBaseTests(TorchvisionOnnxExports exports, ITestOutputHelper output) : IClassFixture<TorchvisionOnnxExports>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-gray-onnx").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string GrayCnn()
    {
        exports.Export("gray_cnn");
        return exports.Onnx("gray_cnn");
    }

    [Fact]
    public void The_architecture_takes_one_channel_from_the_graph_and_matches_PyTorch()
    {
        var architecture = OnnxBaseArchitecture.Create(GrayCnn());
        Assert.Equal(1, architecture.InputChannels);
        Assert.Equal(28, architecture.DefaultInputSize);
        Assert.Equal("fc", architecture.Classifier);

        // What failed before: TransferModelBuilder.FeatureShape probed with 3 channels.
        using var model = TransferModelBuilder.Build(new TransferModelPlan(architecture, WeightsSource.None, ["fc"], null,
            [new HeadLayer(HeadLayerKind.Linear, Size: 4)], [], (28, 28)));
        Assert.Equal(new long[] { 16 }, model.FeatureShape);

        using var module = OnnxImporter.Import(OnnxModelFile.Read(GrayCnn()));
        var (shape, input) = NpyFile.ReadFloat32(exports.Input("gray_cnn"));
        var (_, expected) = NpyFile.ReadFloat32(exports.Logits("gray_cnn"));
        Assert.Equal(1, shape[1]);
        var actual = OnnxImportAccuracyTests.RunImported(module, input, shape);
        double maxDiff = actual.Zip(expected, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(maxDiff <= 1e-4 * expected.Max(Math.Abs), $"max diff {maxDiff}");

        // The layer listing (what `tldsl inspect --write-layers` writes) records the channel too.
        Assert.Contains("channels: 1}", OnnxLayerListing.Write(module), StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_the_graph_does_not_take_is_a_pipeline_error_not_a_crash()
    {
        // Channels symbolic and no Conv on the input itself: nothing says 1 channel, so 3 are assumed, which the graph's
        // 1-channel Conv refuses. The user gets one clear error naming the model and the input it was given.
        var graph = new OnnxGraphBuilder(1, 0, 8, 8)
            .Floats("w", [2, 1, 3, 3], [.. Enumerable.Range(0, 18).Select(i => i / 18f)])
            .Node("Relu", ["x"], "h")
            .Node("Conv", ["h", "w"], "y");
        using var files = new OnnxTestFiles();
        var architecture = OnnxBaseArchitecture.Create(files.Write("odd.onnx", graph.Build("y", 1, 2, 6, 6)));
        Assert.Equal(3, architecture.InputChannels);
        var e = Assert.Throws<PipelineException>(() => TransferModelBuilder.Build(new TransferModelPlan(architecture,
            WeightsSource.None, [], null, [], [], (8, 8))));
        Assert.Contains("'onnx:odd.onnx' does not take a 3-channel 8x8 input", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grayscale_onnx_base_trains_through_a_pipeline_and_evaluates()
    {
        static string Sample(string file) => RepoPaths.Get("samples", "fashion-mnist", file).Replace('\\', '/');
        string pipeline = Path.Combine(_folder, "GrayOnnx.tl.yaml");
        File.WriteAllText(pipeline, $$"""
            version: 1
            name: GrayOnnx
            base: { onnx: "{{GrayCnn().Replace('\\', '/')}}", drop: [classifier] }
            input: { size: [28, 28], channels: 1, normalize: { mean: [0.5], std: [0.5] } }
            labels: [t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]
            head: [linear: labels]
            data:
              train: { idx: { images: "{{Sample("train-images-idx3-ubyte.gz")}}", labels: "{{Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.2, seed: 3 }
              limit_per_class: 10
            train:
              seed: 7
              batch: 16
              optimizer: { adam: { lr: 3e-3 } }
              phases:
                - { epochs: 3 }
            """);

        string runPath;
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(_folder, "runs") }))
        {
            Assert.Equal(1, session.Model.Architecture.InputChannels);
            var conv1Before = session.Model.state_dict()["conv1_Conv.weight"].clone();
            var result = session.Train();
            Assert.True(result.Training.State.Finished);
            output.WriteLine(string.Join(", ", result.Training.Epochs.Select(e => e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture))));
            Assert.True(result.Training.Epochs[^1].TrainLoss < result.Training.Epochs[0].TrainLoss, "the loss did not fall");
            Assert.False(conv1Before.eq(session.Model.state_dict()["conv1_Conv.weight"]).all().item<bool>(), "the imported conv1 did not train");
            runPath = result.Run.Path;
        }

        using var run = RunModel.Open(runPath);
        Assert.Equal(1, run.Model.Architecture.InputChannels);
        var evaluation = run.Evaluate();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{evaluation.Split} accuracy {evaluation.Metrics.Accuracy:F3} over {evaluation.Metrics.Count} images"));
        Assert.True(evaluation.Metrics.Count > 0);
    }
}
