using System;
using System.Linq;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Import;
using Xunit.Abstractions;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>The ops transformer exports use for masks and index arithmetic (Range, Mod, Equal, Not, Less, Greater,
/// Where, Expand, ScatterND) compute what ONNX Runtime computes.</summary>
public sealed class OnnxTransformerOpsTests(ITestOutputHelper output)
{
    [Fact]
    public void Mask_and_index_ops_match_onnx_runtime()
    {
        var graph = new OnnxGraphBuilder(2, 3, 4, 4)
            .Longs("i3", [], 3).Longs("zero", [], 0).Longs("one", [], 1).Longs("two", [], 2)
            .Floats("half", [], 0.5f).Floats("minus_half", [], -0.5f).Floats("step", [], 0.7f)
            .Floats("row", [1, 1, 1, 4], 0.1f, -0.2f, 0.3f, -0.4f)
            .Longs("indices", [2, 2], 0, 1, 1, 2)
            .Floats("updates", [2, 4, 4], [.. Enumerable.Range(0, 32).Select(i => i / 8f - 2f)])
            .Node("Shape", ["x"], "s")
            .Node("Gather", ["s", "i3"], "w", ("axis", 0L))
            .Node("Range", ["zero", "w", "one"], "r")
            .Node("Mod", ["r", "two"], "m")
            .Node("Equal", ["m", "zero"], "even")
            .Node("Not", ["even"], "odd")
            .Node("Neg", ["x"], "nx")
            .Node("Where", ["odd", "x", "nx"], "a")
            .Node("Less", ["x", "half"], "lt")
            .Node("Where", ["lt", "a", "half"], "b")
            .Node("Greater", ["x", "minus_half"], "gt")
            .Node("Where", ["gt", "b", "x"], "c")
            .Node("Expand", ["row", "s"], "ex")
            .Node("Add", ["c", "ex"], "d")
            .Node("Mod", ["d", "step"], "f", ("fmod", 1L))
            .Node("ScatterND", ["f", "indices", "updates"], "y");
        using var files = new OnnxTestFiles();
        var path = files.Write("ops.onnx", graph.Build("y", 2, 3, 4, 4));
        var model = OnnxModelFile.Read(path);
        Assert.Empty(OnnxImporter.Check(model));
        using var module = OnnxImporter.Import(model);

        float[] input = [.. Enumerable.Range(0, 96).Select(i => MathF.Sin(i * 1.3f) * 2f)];
        long[] shape = [2, 3, 4, 4];
        var actual = OnnxImportAccuracyTests.RunImported(module, input, shape);
        var ort = OnnxImportAccuracyTests.RunOrt(path, "x", input, shape);
        Assert.Equal(ort.Length, actual.Length);
        double maxDiff = actual.Zip(ort, (p, q) => Math.Abs((double)p - q)).Max();
        output.WriteLine($"max |imported - ORT| {maxDiff:G3}");
        Assert.True(maxDiff <= 1e-6, $"max diff {maxDiff}");
        // The scattered slices are the updates (ScatterND ran), the rest is not.
        Assert.Equal(-2f, actual[16]);
        Assert.NotEqual(-2f, actual[0]);
    }
}
