using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Pipelines;

/// <summary>A pipeline whose base model is an ONNX file: imported, classifier dropped, first layer frozen, trained.</summary>
public sealed class OnnxPipelineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-onnx-pipeline").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Sample(string file) => RepoPaths.Get("samples", "fashion-mnist", file).Replace('\\', '/');

    [Fact]
    public void An_onnx_base_model_trains_through_a_pipeline_with_its_classifier_dropped_and_first_layer_frozen()
    {
        string onnx = RepoPaths.Get("tests", "fixtures", "onnx", "smallcnn_c10_opset14.onnx").Replace('\\', '/');
        string pipeline = Path.Combine(_folder, "OnnxSmallCnn.tl.yaml");
        File.WriteAllText(pipeline, $$"""
            version: 1
            name: OnnxSmallCnn
            base: { onnx: "{{onnx}}", drop: [classifier] }
            input: { size: [64, 64], channels: 1, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } }
            labels: [t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]
            head: [linear: labels]
            freeze:
              - layers: [conv1_Conv]
            data:
              train: { idx: { images: "{{Sample("train-images-idx3-ubyte.gz")}}", labels: "{{Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.2, seed: 3 }
              limit_per_class: 10
            train:
              seed: 7
              batch: 16
              optimizer: { adam: { lr: 1e-3 } }
              phases:
                - { epochs: 3 }
            """);
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(_folder, "runs") });
        Assert.DoesNotContain(session.Model.state_dict().Keys, k => k.StartsWith("fc2.", StringComparison.Ordinal));
        var frozenBefore = session.Model.state_dict()["conv1_Conv.weight"].clone();
        var fc1Before = session.Model.state_dict()["fc1.weight"].clone();

        var result = session.Train();

        Assert.True(result.Training.State.Finished);
        Assert.True(result.Training.Epochs[^1].TrainLoss < result.Training.Epochs[0].TrainLoss, "the loss did not fall");
        Assert.True(frozenBefore.eq(session.Model.state_dict()["conv1_Conv.weight"]).all().item<bool>(), "a frozen imported layer changed");
        Assert.False(fc1Before.eq(session.Model.state_dict()["fc1.weight"]).all().item<bool>(), "an unfrozen imported layer did not train");
    }
}
