using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using TLDsl.Inference;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Export;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TorchSharp;
using Xunit.Abstractions;
using static TLDsl.Runtime.Tests.Onnx.Export.ExportTestSupport;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Onnx.Export;

/// <summary>The ONNX export of every catalogue model, head layer kind and cut, checked in ONNX Runtime against
/// TorchSharp's eval-mode logits on real images, with and without the preprocessing in the graph, and imported back.</summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    public static TheoryData<string> CatalogueModels => new(ModelZoo.All.Select(a => a.Name).Order(StringComparer.Ordinal));

    private static int SizeFor(BaseArchitecture a) => a.InputChannels == 1 ? 32 : 64;

    private static TransferModel Build(BaseArchitecture architecture, IReadOnlyList<string> drop, string? cutAt, IReadOnlyList<HeadLayer> head, int size)
    {
        torch.manual_seed(7);
        var model = TransferModelBuilder.Build(new TransferModelPlan(architecture, WeightsSource.None, drop, cutAt, head, [], (size, size)));
        RandomiseNorms(model, 11);
        model.eval();
        return model;
    }

    private static ImagePreprocessor Preprocessor(BaseArchitecture a, int size) =>
        new((size, size), a.InputChannels, a.DefaultNormalization, []);

    /// <summary>The whole original classifier: <c>fc</c>, or the <c>classifier</c> Sequential (its layers are covered by
    /// the cut cases; VGG's 25088x4096 matrices would make every case here slow for nothing).</summary>
    private static IReadOnlyList<string> DropClassifier(BaseArchitecture a) =>
        a.Classifier is null ? [] : [a.Classifier.Split('.')[0]];

    [Theory]
    [MemberData(nameof(CatalogueModels))]
    public void Every_catalogue_model_gives_torchsharps_logits_in_onnx_runtime_and_imports_back(string name)
    {
        var architecture = ModelZoo.Get(name);
        int size = SizeFor(architecture);
        using var model = Build(architecture, DropClassifier(architecture), null, [new HeadLayer(HeadLayerKind.Linear, Size: 3)], size);
        var preprocessor = Preprocessor(architecture, size);
        using var batch = Batch(preprocessor, FourImages());
        var expected = TorchLogits(model, batch);

        using var temp = new TempFolder();
        var path = WriteChecked(OnnxExporter.Build(model, Info(preprocessor)), temp.Path);
        var relative = AssertClose(expected, Run(path, Floats(batch)), name);
        output.WriteLine($"{name}: largest difference {relative:G3} of the largest logit");

        // The probabilities output is the softmax of the logits.
        var probabilities = Run(path, Floats(batch), OnnxModelInfo.ProbabilitiesName);
        using var softmax = nn.functional.softmax(tensor(expected, [4, 3]), 1);
        Assert.True(softmax.allclose(tensor(probabilities, [4, 3]), rtol: 1e-4, atol: 1e-5));

        // Imported back by TLDsl's own importer, the graph computes the same logits.
        using var graph = OnnxImporter.Import(OnnxModelFile.Read(path));
        graph.eval();
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            AssertClose(expected, graph.call(batch).contiguous().data<float>().ToArray(), name + " imported back");
        }

        // ... and as a pipeline base (base: { onnx: ... }): 3-channel models (a 1-channel ONNX base is #15 item 4's).
        if (architecture.InputChannels == 3)
        {
            var imported = OnnxBaseArchitecture.Create(path, architecture.DefaultNormalization);
            using var again = TransferModelBuilder.Build(new TransferModelPlan(imported, WeightsSource.None, [], null, [], [], (size, size)));
            AssertClose(expected, TorchLogits(again, batch), name + " as an ONNX base");
        }
    }

    /// <summary>Every head layer kind (the test fails when a kind is added and not covered here).</summary>
    public static TheoryData<int> Heads => new(Enumerable.Range(0, HeadCases.Length));

    private static readonly HeadLayer[][] HeadCases =
    [
        [new(HeadLayerKind.AvgPool), new(HeadLayerKind.BatchNorm), new(HeadLayerKind.Linear, Size: 16), new(HeadLayerKind.Relu), new(HeadLayerKind.Dropout, Probability: 0.3), new(HeadLayerKind.Linear, Size: 3)],
        [new(HeadLayerKind.MaxPool), new(HeadLayerKind.LayerNorm), new(HeadLayerKind.Linear, Size: 8, Bias: false), new(HeadLayerKind.Gelu), new(HeadLayerKind.Linear, Size: 3)],
        [new(HeadLayerKind.ConcatPool), new(HeadLayerKind.Silu), new(HeadLayerKind.Linear, Size: 8), new(HeadLayerKind.Hardswish), new(HeadLayerKind.Linear, Size: 3)],
        [new(HeadLayerKind.BatchNorm), new(HeadLayerKind.Flatten), new(HeadLayerKind.Linear, Size: 3)],
    ];

    [Fact]
    public void The_head_cases_cover_every_head_layer_kind()
    {
        var covered = HeadCases.SelectMany(h => h.Select(l => l.Kind)).ToHashSet();
        Assert.Equal(Enum.GetValues<HeadLayerKind>().ToHashSet(), covered);
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void Every_head_layer_kind_exports(int index)
    {
        var architecture = ModelZoo.Get("resnet18");
        using var model = Build(architecture, [], "layer3", HeadCases[index], 64);
        AssertExportMatches(model, Preprocessor(architecture, 64), $"head {index}");
    }

    public static TheoryData<string, string?, string> Cuts => new()
    {
        { "alexnet", null, "classifier.6" },        // drop inside a Sequential: keeps classifier.0 to .5 (dropout, linear, relu)
        { "mobilenet_v2", "features.3", "" },        // cut inside features, then pool in the head
        { "resnet18", "layer2", "" },
        { "vgg11", "features.10", "" },             // cut inside VGG's features
        { "mobilenet_v3_small", null, "classifier.3" }, // linear, hardswish and dropout of the classifier kept
    };

    [Theory]
    [MemberData(nameof(Cuts))]
    public void Cut_and_drop_surgery_exports(string name, string? cutAt, string drop)
    {
        var architecture = ModelZoo.Get(name);
        var dropped = drop.Split(',', StringSplitOptions.RemoveEmptyEntries);
        IReadOnlyList<HeadLayer> head = cutAt is null
            ? [new(HeadLayerKind.Linear, Size: 3)]
            : [new(HeadLayerKind.AvgPool), new(HeadLayerKind.Linear, Size: 3)];
        using var model = Build(architecture, dropped, cutAt, head, 64);
        AssertExportMatches(model, Preprocessor(architecture, 64), $"{name} cut {cutAt} drop {drop}");
    }

    public static TheoryData<string, OnnxInputLayout> PreprocessingCases => new()
    {
        { "resnet18", OnnxInputLayout.Uint8Nhwc },
        { "resnet18", OnnxInputLayout.UnitNchw },
        { "small_cnn", OnnxInputLayout.Uint8Nhwc },
        { "small_cnn", OnnxInputLayout.UnitNchw },
        { "resnet18_imagenet", OnnxInputLayout.Uint8Nhwc }, // BGR, 0-255 scale and the 224x224 mean image
    };

    [Theory]
    [MemberData(nameof(PreprocessingCases))]
    public void With_the_preprocessing_in_the_graph_raw_pixels_give_the_same_logits(string name, OnnxInputLayout layout)
    {
        var architecture = ModelZoo.Get(name);
        int size = name == "resnet18_imagenet" ? 224 : SizeFor(architecture);
        int channels = architecture.InputChannels;
        using var model = Build(architecture, DropClassifier(architecture), null, [new HeadLayer(HeadLayerKind.Linear, Size: 3)], size);
        var preprocessor = new ImagePreprocessor((size, size), channels, architecture.NormalizationFor(architecture.Weights.Count > 0 ? architecture.Weights[0].Name : null), []);
        if (name == "resnet18_imagenet")
        {
            Assert.NotNull(preprocessor.Evaluation.PixelShift);
        }

        // Four windows of the photo already at the input size: the pixels go in as they are.
        (int Left, int Top)[] corners = [(0, 0), (200, 60), (90, 30), (451 - size, 300 - size)];
        var bytes = corners.Select(c => CropBytes(c.Left, c.Top, size, size, channels)).ToArray();
        var images = bytes.Select(b => new DecodedImage(PlanarImage.FromInterleaved(b, channels, size * size), channels, size, size)).ToArray();
        using var batch = Batch(preprocessor, images);
        var expected = TorchLogits(model, batch);

        using var temp = new TempFolder();
        var path = WriteChecked(OnnxExporter.Build(model, Info(preprocessor, layout)), temp.Path);
        NamedOnnxValue input = layout == OnnxInputLayout.Uint8Nhwc
            ? NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, new DenseTensor<byte>(bytes.SelectMany(b => b).ToArray(), [4, size, size, channels]))
            : NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, new DenseTensor<float>(images.SelectMany(i => i.Pixels).ToArray(), [4, channels, size, size]));
        var relative = AssertClose(expected, Run(path, input), $"{name} {layout}");
        output.WriteLine($"{name} {layout}: largest difference {relative:G3} of the largest logit");
    }

    [Fact]
    public void An_unknown_module_is_named_before_anything_is_written()
    {
        var architecture = ModelZoo.Get("small_cnn");
        using var original = architecture.Create();
        var cut = BackboneCut.Drop(architecture, original, ["classifier"]);
        var head = nn.Sequential(("0", new Doubler()), ("1", nn.Linear(128, 3)));
        using var model = new TransferModel("odd", architecture, original, cut, head, [128]);
        var preprocessor = Preprocessor(architecture, 32);
        using var temp = new TempFolder();
        var target = Path.Combine(temp.Path, "model.onnx");

        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Write(OnnxExporter.Build(model, Info(preprocessor)), target));
        Assert.Contains("'head.0'", e.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Doubler).FullName!, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void An_unwritable_output_path_is_one_clear_error_and_leaves_nothing()
    {
        var architecture = ModelZoo.Get("small_cnn");
        using var model = Build(architecture, ["classifier"], null, [new HeadLayer(HeadLayerKind.Linear, Size: 3)], 32);
        var proto = OnnxExporter.Build(model, Info(Preprocessor(architecture, 32)));
        using var temp = new TempFolder();
        var blocker = Path.Combine(temp.Path, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var target = Path.Combine(blocker, "export", "model.onnx");

        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Write(proto, target));
        Assert.Contains(target, e.Message, StringComparison.Ordinal);
        Assert.Equal([blocker], Directory.GetFileSystemEntries(temp.Path));
    }

    private void AssertExportMatches(TransferModel model, ImagePreprocessor preprocessor, string what)
    {
        using var batch = Batch(preprocessor, FourImages());
        var expected = TorchLogits(model, batch);
        using var temp = new TempFolder();
        var path = WriteChecked(OnnxExporter.Build(model, Info(preprocessor)), temp.Path);
        var relative = AssertClose(expected, Run(path, Floats(batch)), what);
        output.WriteLine($"{what}: largest difference {relative:G3} of the largest logit");
    }

    /// <summary>A module kind the exporter has never heard of.</summary>
    private sealed class Doubler() : nn.Module<Tensor, Tensor>("doubler")
    {
        public override Tensor forward(Tensor input) => input * 2;
    }
}
