using System.Linq;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>Identity nodes that rename constants (PyTorch's deduplicated initializers) are followed, and what they
/// tied together is untied: each consumer trains its own copy.</summary>
public sealed class OnnxIdentityAliasTests
{
    private static readonly float[] Bias = [0.5f, -0.25f, 1f];

    /// <summary>x -> Conv(w1, b1) -> Relu -> Conv(w2, b2) -> + k1, where b1 = Identity(b), b2 = Identity(b1) (a chain)
    /// and k1 = Identity(Constant): the shapes the exporter writes for equal zero biases. An Identity of the (computed)
    /// input stays a node.</summary>
    private static ModelProto TiedBiases()
    {
        var k = new TensorProto { DataType = (int)DataType.Float };
        k.Dims.Add([1, 3, 1, 1]);
        k.FloatData.Add([0.1f, 0.2f, 0.3f]);
        return new OnnxGraphBuilder(1, 2, 5, 5)
            .Floats("w1", [3, 2, 3, 3], [.. Enumerable.Range(0, 54).Select(i => (i % 7 - 3) / 10f)])
            .Floats("w2", [3, 3, 1, 1], [.. Enumerable.Range(0, 9).Select(i => (i % 4 - 1.5f) / 2f)])
            .Floats("b", [3], Bias)
            .Node("Identity", ["b2_source"], "b2")
            .Node("Identity", ["b"], "b1")
            .Node("Identity", ["b1"], "b2_source")
            .Node("Identity", ["x"], "x1")
            .Node("Conv", ["x1", "w1", "b1"], "h", ("pads", new long[] { 1, 1, 1, 1 }))
            .Node("Relu", ["h"], "h2")
            .Node("Conv", ["h2", "w2", "b2"], "g")
            .Node("Constant", [], "k", ("value", k))
            .Node("Identity", ["k"], "k1")
            .Node("Add", ["g", "k1"], "y")
            .Build("y", 1, 3, 5, 5);
    }

    [Fact]
    public void Identity_chains_over_initializers_and_constants_are_followed_and_match_onnx_runtime()
    {
        using var files = new OnnxTestFiles();
        var path = files.Write("tied.onnx", TiedBiases());
        var model = OnnxModelFile.Read(path);
        Assert.Empty(OnnxImporter.Check(model));
        using var module = OnnxImporter.Import(model);
        Assert.Equal(["Identity", "Conv", "Relu", "Conv", "Add"], module.Layers.Select(l => l.OpType));

        float[] input = [.. Enumerable.Range(0, 50).Select(i => (i % 9 - 4) / 3f)];
        long[] shape = [1, 2, 5, 5];
        var actual = OnnxImportAccuracyTests.RunImported(module, input, shape);
        var ort = OnnxImportAccuracyTests.RunOrt(path, "x", input, shape);
        Assert.Equal(ort.Length, actual.Length);
        Assert.True(actual.Zip(ort, (a, b) => System.Math.Abs(a - b)).Max() <= 1e-5);
    }

    [Fact]
    public void Tied_biases_untie_so_each_layer_trains_its_own()
    {
        using var files = new OnnxTestFiles();
        using var module = OnnxImporter.Import(OnnxModelFile.Read(files.Write("tied.onnx", TiedBiases())));
        var convs = module.Layers.Where(l => l.OpType == "Conv").Select(l => (TorchSharp.Modules.Conv2d)l.Module!).ToList();
        Assert.Equal(2, module.parameters().Count(p => p.shape.SequenceEqual(new long[] { 3 })));
        Assert.Equal(2, convs.Count);
        foreach (var conv in convs)
        {
            Assert.Equal(Bias, conv.bias!.data<float>().ToArray());
            Assert.True(conv.bias.requires_grad);
        }

        // A training step on one layer's bias leaves the other's alone.
        using (no_grad())
        {
            convs[0].bias!.add_(1.0f);
        }

        Assert.Equal(Bias, convs[1].bias!.data<float>().ToArray());

        // Gradients are per layer too: they differ, which a shared tensor could not give.
        module.train();
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        module.call(torch.randn(2, 2, 5, 5)).pow(2).sum().backward();
        Assert.False(convs[0].bias!.grad!.allclose(convs[1].bias!.grad!));
    }
}
