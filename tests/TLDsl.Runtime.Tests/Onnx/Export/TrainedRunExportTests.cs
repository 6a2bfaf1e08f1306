using System;
using System.ComponentModel.DataAnnotations;
using System.IO;
using System.Linq;
using TLDsl.Inference;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using Xunit.Abstractions;
using static TLDsl.Runtime.Tests.Onnx.Export.ExportTestSupport;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Onnx.Export;

/// <summary>Trained runs of each base kind (catalogue, ImageNet weights, imported ONNX) exported with
/// <see cref="RunExporter.ExportOnnx"/>: ONNX Runtime gives the run's logits, and the TorchSharp-free classifier gives
/// the run's predictions on image files.</summary>
public sealed class TrainedRunExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-onnx-run-export").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Sample(string file) => RepoPaths.Get("samples", "fashion-mnist", file).Replace('\\', '/');

    private static readonly string Labels10 = "[t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]";

    private string Pipeline(string name, string baseAndInput, string extra = "")
    {
        string path = Path.Combine(_folder, name + ".tl.yaml");
        File.WriteAllText(path, $$"""
            version: 1
            name: {{name}}
            {{baseAndInput}}
            labels: {{Labels10}}
            head: [linear: labels]
            {{extra}}
            data:
              train: { idx: { images: "{{Sample("train-images-idx3-ubyte.gz")}}", labels: "{{Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.2, seed: 3 }
              limit_per_class: 6
            train:
              seed: 7
              batch: 16
              optimizer: { adam: { lr: 1e-3 } }
              phases:
                - { epochs: 1 }
            """);
        return path;
    }

    public static TheoryData<string> Bases => new() { "catalogue", "imagenet", "onnx" };

    private string PipelineFor(string kind) => kind switch
    {
        "catalogue" => Pipeline("SmallCnnRun", """
            base: { model: small_cnn, drop: [classifier] }
            input: { size: [28, 28], channels: 1, normalize: { mean: [0.286], std: [0.353] } }
            """),
        "imagenet" => Pipeline("ImageNetRun", """
            base: { model: resnet18_imagenet, weights: imagenet }
            input: { size: [64, 64], channels: 3, normalize: weights }
            """, "freeze:\n  - layers: [conv1, bn1, layer1.*, layer2.*, layer3.*]\n    batchnorm: eval"),
        "onnx" => Pipeline("OnnxBaseRun", $$"""
            base: { onnx: "{{RepoPaths.Get("tests", "fixtures", "onnx", "smallcnn_c10_opset14.onnx").Replace('\\', '/')}}", drop: [classifier] }
            input: { size: [64, 64], channels: 1, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } }
            """),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown base kind"),
    };

    [Theory]
    [MemberData(nameof(Bases))]
    public void A_trained_run_exports_with_its_logits_and_predictions(string kind)
    {
        string runs = Path.Combine(_folder, "runs");
        string run;
        using (var session = TrainingSession.Start(PipelineFor(kind), new TrainingOverrides { RunsRoot = runs }))
        {
            run = session.Run.Path;
            // No finished checkpoint yet: one clear error, and nothing written.
            string early = Path.Combine(_folder, "early");
            var e = Assert.Throws<DirectoryNotFoundException>(() => RunExporter.ExportOnnx(run, early));
            Assert.Contains("no checkpoint", e.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(early));
            Assert.True(session.Train().Training.State.Finished);
        }

        string export = Path.Combine(_folder, "export-" + kind);
        var result = RunExporter.ExportOnnx(run, export);
        string modelPath = Path.Combine(export, "model.onnx");
        Assert.Equal([modelPath, Path.Combine(export, "labels.txt")], result.Files);

        using var trained = RunModel.Open(run);
        using var batch = Batch(trained.Preprocessor, FourImages());
        var expected = TorchLogits(trained.Model, batch);
        var relative = AssertClose(expected, Run(modelPath, Floats(batch)), kind);
        output.WriteLine($"{kind}: ONNX Runtime vs TorchSharp, largest difference {relative:G3} of the largest logit");

        // The TorchSharp-free classifier on image files: the run's own predictions.
        string[] files = [.. Enumerable.Range(0, 4).Select(i => WriteBmp(Path.Combine(_folder, $"{kind}-{i}.bmp"), i))];
        var reference = trained.Predict(files, topK: 3);
        using var classifier = OnnxImageClassifier.Open(modelPath);
        Assert.Equal(trained.Labels, classifier.Labels);
        Assert.Equal(trained.Pipeline.Hash, classifier.Info.PipelineSha256);
        var predicted = classifier.Classify(files, topK: 3);
        for (int i = 0; i < files.Length; i++)
        {
            Assert.Equal(reference[i].Label, predicted[i].Label);
            Assert.Equal(reference[i].Top.Select(t => t.Label), predicted[i].Top.Select(t => t.Label));
            Assert.True(Math.Abs(reference[i].Probability - predicted[i].Probability) < 1e-4, $"{files[i]}: {reference[i].Probability} vs {predicted[i].Probability}");
        }
    }

    [Fact]
    public void The_typed_classifier_refuses_a_model_with_other_labels_and_a_model_without_metadata()
    {
        string runs = Path.Combine(_folder, "runs");
        string run;
        using (var session = TrainingSession.Start(PipelineFor("catalogue"), new TrainingOverrides { RunsRoot = runs }))
        {
            session.Train();
            run = session.Run.Path;
        }

        string export = Path.Combine(_folder, "export");
        RunExporter.ExportOnnx(run, export);
        string modelPath = Path.Combine(export, "model.onnx");

        using (var typed = new OnnxImageClassifier<Fashion>(modelPath))
        {
            Assert.Equal(Fashion.AnkleBoot, Enum.GetValues<Fashion>()[^1]);
            Assert.Equal(3, typed.Classify(WriteBmp(Path.Combine(_folder, "x.bmp"), 0), topK: 3).Top.Count);
        }

        var e = Assert.Throws<OnnxModelMetadataException>(() => new OnnxImageClassifier<WrongOrder>(modelPath));
        Assert.Contains("output 0 is 't-shirt' in the model and 'trouser' in the enum", e.Message, StringComparison.Ordinal);
        Assert.Contains(modelPath, e.Message, StringComparison.Ordinal);

        var foreign = RepoPaths.Get("tests", "fixtures", "onnx", "smallcnn_c10_opset14.onnx");
        var missing = Assert.Throws<OnnxModelMetadataException>(() => OnnxImageClassifier.Open(foreign));
        Assert.Contains("tldsl.labels", missing.Message, StringComparison.Ordinal);
    }

    /// <summary>A window of the photo as a 24-bit BMP (a real file for the decoder; stb_image reads BMP).</summary>
    private static string WriteBmp(string path, int index)
    {
        (int Left, int Top, int Width, int Height)[] windows = [(0, 0, 451, 300), (40, 20, 200, 260), (150, 100, 161, 90), (10, 60, 300, 221)];
        var (left, top, width, height) = windows[index];
        var rgb = CropBytes(left, top, width, height, 3);
        int stride = ((width * 3) + 3) & ~3;
        var bytes = new byte[54 + (stride * height)];
        void Int(int at, int value) => BitConverter.GetBytes(value).CopyTo(bytes, at);
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        Int(2, bytes.Length);
        Int(10, 54);
        Int(14, 40);
        Int(18, width);
        Int(22, height);
        bytes[26] = 1;
        bytes[28] = 24;
        for (int y = 0; y < height; y++)
        {
            int row = 54 + ((height - 1 - y) * stride); // bottom-up rows, BGR pixels
            for (int x = 0; x < width; x++)
            {
                int src = ((y * width) + x) * 3;
                bytes[row + (x * 3)] = rgb[src + 2];
                bytes[row + (x * 3) + 1] = rgb[src + 1];
                bytes[row + (x * 3) + 2] = rgb[src];
            }
        }

        File.WriteAllBytes(path, bytes);
        return path;
    }

    public enum Fashion
    {
        [Display(Name = "t-shirt")] TShirt,
        [Display(Name = "trouser")] Trouser,
        [Display(Name = "pullover")] Pullover,
        [Display(Name = "dress")] Dress,
        [Display(Name = "coat")] Coat,
        [Display(Name = "sandal")] Sandal,
        [Display(Name = "shirt")] Shirt,
        [Display(Name = "sneaker")] Sneaker,
        [Display(Name = "bag")] Bag,
        [Display(Name = "ankle_boot")] AnkleBoot,
    }

    public enum WrongOrder
    {
        [Display(Name = "trouser")] Trouser,
        [Display(Name = "t-shirt")] TShirt,
    }
}
