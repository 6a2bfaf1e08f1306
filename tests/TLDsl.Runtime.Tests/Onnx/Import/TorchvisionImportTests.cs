using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Spec.Catalogue;
using TLDsl.Tests.PyTorch;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>
/// torchvision architectures exported by PyTorch (opset 13, random weights, so equal biases come deduplicated into
/// Identity nodes) import and compute PyTorch's logits; Swin-T imports and computes them too; a small torchvision
/// VisionTransformer imports, computes them and trains.
/// The files are exported at test time (tests/fixtures/onnx/export_torchvision.py).
/// </summary>
public sealed class TorchvisionImportTests(TorchvisionOnnxExports exports, ITestOutputHelper output) : IClassFixture<TorchvisionOnnxExports>
{
    /// <summary>The CNNs of issue 15: ResNet-50, MobileNet-V3, EfficientNet-B0, DenseNet-121, SqueezeNet, ShuffleNet-V2,
    /// RegNet, ConvNeXt-T, MnasNet, GoogLeNet.</summary>
    private static readonly string[] Cnns =
    [
        "resnet50", "mobilenet_v3_small", "efficientnet_b0", "densenet121", "squeezenet1_1", "shufflenet_v2_x0_5",
        "regnet_y_400mf", "convnext_tiny", "mnasnet0_5", "googlenet",
    ];

    public static TheoryData<string> CnnNames => new(Cnns);

    /// <summary>max |imported - PyTorch| / max |PyTorch logit|, logging the figures.</summary>
    private double CompareWithPyTorch(string name, OnnxGraphModule module)
    {
        var (shape, input) = NpyFile.ReadFloat32(exports.Input(name));
        var (_, expected) = NpyFile.ReadFloat32(exports.Logits(name));
        var watch = Stopwatch.StartNew();
        var actual = OnnxImportAccuracyTests.RunImported(module, input, shape);
        watch.Stop();
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = actual.Zip(expected, (a, b) => Math.Abs((double)a - b)).Max();
        double scale = expected.Max(v => Math.Abs((double)v));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {module.Layers.Count} layers, {module.parameters().Count()} parameters; max |imported - PyTorch| {maxDiff:G3} of max |logit| {scale:G3} (relative {maxDiff / scale:G3}); forward of [{string.Join("x", shape)}] {watch.ElapsedMilliseconds} ms"));
        Assert.True(scale > 0, "PyTorch's logits are all zero: the comparison would prove nothing");
        return maxDiff / scale;
    }

    [Theory]
    [MemberData(nameof(CnnNames))]
    public void A_torchvision_cnn_with_deduplicated_initializers_imports_and_matches_PyTorch(string name)
    {
        exports.Export(Cnns);
        var model = OnnxModelFile.Read(exports.Onnx(name));
        // The case this test exists for: the exporter renamed shared initializers through Identity nodes.
        Assert.Contains(model.Graph.Node, n => n.OpType == "Identity" && model.Initializers.ContainsKey(n.Input[0]));
        Assert.Empty(OnnxImporter.Check(model));

        using var module = OnnxImporter.Import(model);
        Assert.DoesNotContain(module.Layers, l => l.OpType == "Identity");
        Assert.True(CompareWithPyTorch(name, module) <= 1e-4);
    }

    [Fact]
    public void A_vision_transformer_imports_and_matches_PyTorch()
    {
        exports.Export("vit_small");
        var model = OnnxModelFile.Read(exports.Onnx("vit_small"));
        Assert.Empty(OnnxImporter.Check(model));
        using var module = OnnxImporter.Import(model);
        var ops = module.Layers.Select(l => l.OpType).ToHashSet();
        foreach (var op in new[] { "Equal", "Where", "Expand", "ConstantOfShape", "MatMul", "Softmax", "Erf", "Gemm", "Conv" })
        {
            Assert.True(ops.Contains(op), $"{op} not in {string.Join(",", ops)}");
        }

        Assert.True(CompareWithPyTorch("vit_small", module) <= 1e-4);
    }

    [Fact]
    public void SwinT_imports_and_matches_PyTorch()
    {
        // Shifted-window attention: Range, Mod, ScatterND, Not, Equal/Where masks, Expand, Pad with computed pads.
        exports.Export("swin_t");
        var model = OnnxModelFile.Read(exports.Onnx("swin_t"));
        Assert.Empty(OnnxImporter.Check(model));
        using var module = OnnxImporter.Import(model);
        var ops = module.Layers.Select(l => l.OpType).ToHashSet();
        foreach (var op in new[] { "Range", "Mod", "ScatterND", "Not", "Equal", "Where", "Expand" })
        {
            Assert.True(ops.Contains(op), $"{op} not in {string.Join(",", ops)}");
        }

        Assert.True(CompareWithPyTorch("swin_t", module) <= 1e-4);
    }

    [Fact]
    public void A_vision_transformer_trains_with_a_new_head_and_every_imported_layer_gets_a_gradient()
    {
        exports.Export("vit_small");
        var architecture = OnnxBaseArchitecture.Create(exports.Onnx("vit_small"));
        Assert.Equal(3, architecture.InputChannels);
        Assert.Equal(32, architecture.DefaultInputSize);
        Assert.NotNull(architecture.Classifier);
        torch.manual_seed(0);
        using var model = TransferModelBuilder.Build(new TransferModelPlan(architecture, WeightsSource.None, [architecture.Classifier!], null,
            [new HeadLayer(HeadLayerKind.Linear, Size: 3)], [], (32, 32)));
        Assert.Equal(new long[] { 32 }, model.FeatureShape);
        var imported = model.named_parameters().Where(p => !p.name.StartsWith("head.", StringComparison.Ordinal)).ToList();
        // Conv patch embedding, the attention in/out projections and the MLPs of both encoder layers.
        Assert.True(imported.Count >= 9, string.Join(", ", imported.Select(p => p.name)));

        using var x = torch.randn(8, 3, 32, 32);
        using var y = torch.tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 });
        var before = imported.ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3);
        model.train();
        var losses = new double[8];
        for (int step = 0; step < losses.Length; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = torch.nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            if (step == 0)
            {
                foreach (var (n, p) in imported)
                {
                    Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {n}");
                }
            }

            optimizer.step();
            losses[step] = loss.item<float>();
        }

        output.WriteLine("loss per step: " + string.Join(", ", losses.Select(l => l.ToString("F4", CultureInfo.InvariantCulture))));
        Assert.True(losses[^1] < losses[0] * 0.9, "the loss did not fall");
        foreach (var (n, p) in imported)
        {
            Assert.False(before[n].eq(p).all().item<bool>(), $"{n} did not change");
        }
    }
}
