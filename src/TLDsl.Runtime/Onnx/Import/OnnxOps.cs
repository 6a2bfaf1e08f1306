using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>The operators TLDsl imports, with their accepted attributes, checks and TorchSharp implementations. Each
/// operator family lives in its own file (OnnxOps.*.cs) and registers its specs in <see cref="BuildSpecs"/>.</summary>
internal static partial class OnnxOps
{
    private sealed record OpSpec(string[] Attributes, Action<OnnxNodeContext> Check, Func<OnnxNodeContext, OnnxKernel> Build, long MinOpset = 1);

    private static readonly Dictionary<string, OpSpec> Specs = BuildSpecs();

    /// <summary>The supported operators, sorted.</summary>
    public static IReadOnlyList<string> Supported { get; } = [.. Specs.Keys.Order(StringComparer.Ordinal)];

    public static string SupportedList => string.Join(", ", Supported);

    public const long MinOpset = 7;

    public const long MaxOpset = 17;

    /// <summary>Appends the node's problems (unsupported op, attribute or value) to the context.</summary>
    public static void Check(OnnxNodeContext ctx)
    {
        var node = ctx.Node.Proto;
        if (node.Domain.Length > 0 && node.Domain != "ai.onnx")
        {
            ctx.Problem($"operator domain '{node.Domain}' is not supported; only the default ONNX domain is. Supported operators: {SupportedList}");
            return;
        }

        if (!Specs.TryGetValue(node.OpType, out var spec))
        {
            ctx.Problem($"operator '{node.OpType}' is not supported. Supported operators: {SupportedList}");
            return;
        }

        if (ctx.Opset < spec.MinOpset)
        {
            ctx.Problem(Inv($"operator '{node.OpType}' needs opset {spec.MinOpset} or later; the model imports opset {ctx.Opset}"));
        }

        foreach (var a in ctx.Attrs.Names.Where(a => !spec.Attributes.Contains(a)))
        {
            ctx.Problem($"attribute '{a}' is not supported; supported attributes of {node.OpType}: {(spec.Attributes.Length == 0 ? "none" : string.Join(", ", spec.Attributes))}");
        }

        spec.Check(ctx);
    }

    public static OnnxKernel Build(OnnxNodeContext ctx) => Specs[ctx.Node.OpType].Build(ctx);

    private static Dictionary<string, OpSpec> BuildSpecs()
    {
        var s = new Dictionary<string, OpSpec>(StringComparer.Ordinal);
        AddActivations(s);
        AddArithmetic(s);
        AddLogic(s);
        AddConvolution(s);
        AddNormalization(s);
        AddPooling(s);
        AddLinear(s);
        AddReductions(s);
        AddShapes(s);
        AddIndexing(s);
        AddConstants(s);
        return s;
    }

    private static OnnxKernel Kernel(Func<Tensor?[], Tensor> f) => new(i => [f(i)], null);

    internal static long[] Longs(Tensor t) => t.to_type(ScalarType.Int64).flatten().data<long>().ToArray();

    private static bool IsUsed(OnnxNodeContext c, string value) =>
        value.Length > 0 && (c.Graph.Outputs.Contains(value) || c.Graph.Nodes.Any(n => n.Proto.Input.Contains(value)));

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
