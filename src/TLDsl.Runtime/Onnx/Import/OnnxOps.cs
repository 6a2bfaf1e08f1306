using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Runtime.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>A compiled node: what it runs, and the trainable module it owns (if any).</summary>
internal sealed record OnnxKernel(Func<Tensor?[], Tensor[]> Run, Module? Layer)
{
    /// <summary>Inputs the kernel holds itself (weights copied into its layer): not looked up when it runs.</summary>
    public int[] Owned { get; init; } = [];
}

/// <summary>What an op handler sees of its node.</summary>
internal sealed class OnnxNodeContext
{
    private readonly List<OnnxImportProblem> _problems;

    public OnnxNodeContext(OnnxGraph graph, OnnxNodeInfo node, long opset, List<OnnxImportProblem> problems, Func<string, Tensor>? readStatic)
    {
        Graph = graph;
        Node = node;
        Opset = opset;
        Attrs = new OnnxAttributes(node.Proto);
        _problems = problems;
        ReadStatic = readStatic;
    }

    public OnnxGraph Graph { get; }

    public OnnxNodeInfo Node { get; }

    public long Opset { get; }

    public OnnxAttributes Attrs { get; }

    /// <summary>Reads an initializer or Constant output as a tensor (import only; null while checking).</summary>
    public Func<string, Tensor>? ReadStatic { get; }

    public string Input(int i) => i < Node.Proto.Input.Count ? Node.Proto.Input[i] : string.Empty;

    public bool HasInput(int i) => Input(i).Length > 0;

    public void Problem(string message) => _problems.Add(new OnnxImportProblem(Node.DisplayName, Node.OpType, message));

    public Tensor Static(int i) => ReadStatic!(Input(i));

    public Tensor? StaticOrNull(int i) => HasInput(i) && Graph.IsStatic(Input(i)) ? ReadStatic!(Input(i)) : null;
}

/// <summary>The operators TLDsl imports, with their accepted attributes, checks and TorchSharp implementations.</summary>
internal static class OnnxOps
{
    private sealed record OpSpec(string[] Attributes, Action<OnnxNodeContext> Check, Func<OnnxNodeContext, OnnxKernel> Build, long MinOpset = 1);

    private static readonly Dictionary<string, Func<Tensor, Tensor>> Unary = new(StringComparer.Ordinal)
    {
        ["Relu"] = x => F.relu(x),
        ["Sigmoid"] = x => x.sigmoid(),
        ["Tanh"] = x => x.tanh(),
        ["Exp"] = x => x.exp(),
        ["Log"] = x => x.log(),
        ["Sqrt"] = x => x.sqrt(),
        ["Neg"] = x => x.neg(),
        ["Abs"] = x => x.abs(),
        ["Floor"] = x => x.floor(),
        ["Ceil"] = x => x.ceil(),
        ["Erf"] = x => x.erf(),
        ["Reciprocal"] = x => x.reciprocal(),
        ["HardSwish"] = x => F.hardswish(x),
        ["Identity"] = x => x,
    };

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
        foreach (var (name, f) in Unary)
        {
            s[name] = new OpSpec([], _ => { }, _ => Kernel(i => f(i[0]!)), name == "HardSwish" ? 14 : 1);
        }

        s["LeakyRelu"] = new(["alpha"], _ => { }, c =>
        {
            double alpha = c.Attrs.Float("alpha", 0.01f);
            return Kernel(i => F.leaky_relu(i[0]!, alpha));
        });
        s["HardSigmoid"] = new(["alpha", "beta"], _ => { }, c =>
        {
            double alpha = c.Attrs.Float("alpha", 0.2f), beta = c.Attrs.Float("beta", 0.5f);
            return Kernel(i => (i[0]! * alpha + beta).clamp(0.0, 1.0));
        });
        s["Clip"] = new(["min", "max"], c =>
        {
            if (c.Opset >= 11 && (c.Attrs.Has("min") || c.Attrs.Has("max")))
            {
                c.Problem("from opset 11, Clip takes min and max as inputs, not attributes");
            }
        }, c =>
        {
            if (c.Opset < 11)
            {
                double min = c.Attrs.Float("min", float.NegativeInfinity), max = c.Attrs.Float("max", float.PositiveInfinity);
                return Kernel(i => i[0]!.clamp(min, max));
            }

            return Kernel(i =>
            {
                var x = i[0]!;
                double min = i.Length > 1 && i[1] is { } lo ? lo.ToDouble() : double.NegativeInfinity;
                double max = i.Length > 2 && i[2] is { } hi ? hi.ToDouble() : double.PositiveInfinity;
                return x.clamp(min, max);
            });
        });
        s["Add"] = Binary((a, b) => a + b);
        s["Sub"] = Binary((a, b) => a - b);
        s["Mul"] = Binary((a, b) => a * b);
        s["Div"] = Binary((a, b) => a.is_floating_point() ? a / b : a.div(b, RoundingMode.trunc));
        s["Pow"] = Binary((a, b) => a.pow(b));
        s["Concat"] = new(["axis"], c => { if (!c.Attrs.Has("axis")) { c.Problem("the required attribute 'axis' is missing"); } }, c =>
        {
            long axis = c.Attrs.Int("axis", 0);
            return Kernel(i => torch.cat(i.Where(t => t is not null).Select(t => t!).ToList(), axis));
        });
        s["Conv"] = new(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"], CheckConv, BuildConv);
        s["BatchNormalization"] = new(["epsilon", "momentum", "spatial", "training_mode", "is_test"], CheckBatchNorm, BuildBatchNorm);
        s["MaxPool"] = new(["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"], CheckPool, BuildMaxPool);
        s["AveragePool"] = new(["auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"], CheckPool, BuildAvgPool);
        s["GlobalAveragePool"] = new([], _ => { }, _ => Kernel(i => i[0]!.mean(Enumerable.Range(2, (int)i[0]!.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true)));
        s["GlobalMaxPool"] = new([], _ => { }, _ => Kernel(i => i[0]!.amax(Enumerable.Range(2, (int)i[0]!.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true)));
        s["Flatten"] = new(["axis"], _ => { }, c =>
        {
            long axis = c.Attrs.Int("axis", 1);
            return Kernel(i =>
            {
                var x = i[0]!;
                var a = axis < 0 ? axis + x.dim() : axis;
                long outer = x.shape.Take((int)a).Aggregate(1L, (p, d) => p * d);
                long inner = x.shape.Skip((int)a).Aggregate(1L, (p, d) => p * d);
                return x.reshape(outer, inner);
            });
        });
        s["Reshape"] = new(["allowzero"], c =>
        {
            if (c.Opset < 5 || !c.HasInput(1))
            {
                c.Problem("Reshape needs its shape as the second input (opset 5 and later)");
            }
        }, c =>
        {
            bool allowZero = c.Attrs.Int("allowzero", 0) != 0;
            return Kernel(i =>
            {
                var x = i[0]!;
                var shape = Longs(i[1]!);
                for (int d = 0; d < shape.Length && !allowZero; d++)
                {
                    if (shape[d] == 0)
                    {
                        shape[d] = x.shape[d];
                    }
                }

                return x.reshape(shape);
            });
        });
        s["Transpose"] = new(["perm"], _ => { }, c =>
        {
            var perm = c.Attrs.Ints("perm");
            return Kernel(i => i[0]!.permute(perm ?? Enumerable.Range(0, (int)i[0]!.dim()).Reverse().Select(d => (long)d).ToArray()));
        });
        s["Gemm"] = new(["alpha", "beta", "transA", "transB"], CheckGemm, BuildGemm);
        s["MatMul"] = new([], _ => { }, BuildMatMul);
        s["Dropout"] = new(["ratio", "seed", "is_test"], c =>
        {
            if (c.Node.Proto.Output.Count > 1 && IsUsed(c, c.Node.Proto.Output[1]))
            {
                c.Problem("the mask output of Dropout is not supported");
            }
        }, c =>
        {
            double ratio = c.Opset < 12 ? c.Attrs.Float("ratio", 0.5f) : c.StaticOrNull(1) is { } r ? r.ToDouble() : 0.5;
            var dropout = Dropout(ratio);
            return new OnnxKernel(i => [dropout.call(i[0]!)], dropout);
        });
        s["Softmax"] = SoftmaxSpec(log: false);
        s["LogSoftmax"] = SoftmaxSpec(log: true);
        s["Pad"] = new(["mode", "pads", "value"], c =>
        {
            var mode = c.Attrs.String("mode") ?? "constant";
            if (mode is not ("constant" or "reflect" or "edge"))
            {
                c.Problem($"pad mode '{mode}' is not supported; supported: constant, reflect, edge");
            }

            if (c.Opset < 11 && !c.Attrs.Has("pads"))
            {
                c.Problem("the required attribute 'pads' is missing");
            }

            if (c.Opset >= 11 && (!c.HasInput(1) || c.Attrs.Has("pads")))
            {
                c.Problem("from opset 11, Pad takes pads as its second input");
            }
        }, BuildPad);
        s["Constant"] = new(["value", "value_float", "value_floats", "value_int", "value_ints"], c =>
        {
            if (c.Attrs.Names.Count() != 1)
            {
                c.Problem("Constant needs exactly one value attribute");
            }
            else if (c.Attrs.Tensor("value") is { } t && OnnxDataTypes.ToScalarType(t.DataType) is null)
            {
                c.Problem($"constant of element type {OnnxDataTypes.Name(t.DataType)} is not supported; supported: {OnnxDataTypes.SupportedNames}");
            }
        }, c =>
        {
            var value = ConstantValue(c).DetachFromDisposeScope();
            return new OnnxKernel(_ => [value], null);
        });
        s["Squeeze"] = new(["axes"], _ => { }, c =>
        {
            var attrAxes = c.Attrs.Ints("axes");
            bool fromInput = c.Opset >= 13;
            return Kernel(i =>
            {
                var x = i[0]!;
                var axes = fromInput ? (i.Length > 1 && i[1] is { } a ? Longs(a) : null) : attrAxes;
                if (axes is null)
                {
                    return x.squeeze();
                }

                foreach (var ax in axes.Select(a => a < 0 ? a + x.dim() : a).OrderByDescending(a => a))
                {
                    x = x.squeeze(ax);
                }

                return x;
            });
        });
        s["Unsqueeze"] = new(["axes"], c =>
        {
            if (c.Opset < 13 && !c.Attrs.Has("axes"))
            {
                c.Problem("the required attribute 'axes' is missing (opset < 13)");
            }

            if (c.Opset >= 13 && !c.HasInput(1))
            {
                c.Problem("from opset 13, Unsqueeze takes axes as its second input");
            }
        }, c =>
        {
            var attrAxes = c.Attrs.Ints("axes");
            bool fromInput = c.Opset >= 13;
            return Kernel(i =>
            {
                var x = i[0]!;
                var axes = fromInput ? Longs(i[1]!) : attrAxes!;
                long rank = x.dim() + axes.Length;
                foreach (var ax in axes.Select(a => a < 0 ? a + rank : a).Order())
                {
                    x = x.unsqueeze(ax);
                }

                return x;
            });
        });
        s["ReduceMean"] = Reduce((x, axes, keep) => x.mean(axes, keepdim: keep), axesInputFrom: 18);
        s["ReduceSum"] = Reduce((x, axes, keep) => x.sum(axes, keepdim: keep), axesInputFrom: 13);
        s["ReduceMax"] = Reduce((x, axes, keep) => x.amax(axes, keepdim: keep), axesInputFrom: 18);
        s["Shape"] = new(["start", "end"], _ => { }, c =>
        {
            long? start = c.Attrs.Has("start") ? c.Attrs.Int("start", 0) : null;
            long? end = c.Attrs.Has("end") ? c.Attrs.Int("end", 0) : null;
            return Kernel(i =>
            {
                var shape = i[0]!.shape;
                long r = shape.Length;
                long s0 = Math.Clamp(start is { } a ? (a < 0 ? a + r : a) : 0, 0, r);
                long e0 = Math.Clamp(end is { } b ? (b < 0 ? b + r : b) : r, 0, r);
                return torch.tensor(shape.Skip((int)s0).Take((int)Math.Max(0, e0 - s0)).ToArray(), ScalarType.Int64);
            });
        });
        s["Gather"] = new(["axis"], _ => { }, c =>
        {
            long axisAttr = c.Attrs.Int("axis", 0);
            return Kernel(i =>
            {
                var x = i[0]!;
                var indices = i[1]!.to_type(ScalarType.Int64);
                long axis = axisAttr < 0 ? axisAttr + x.dim() : axisAttr;
                var size = x.shape[axis];
                var flat = indices.flatten();
                flat = torch.where(flat.lt(0), flat + size, flat);
                var picked = x.index_select(axis, flat);
                long[] shape = [.. x.shape.Take((int)axis), .. indices.shape, .. x.shape.Skip((int)axis + 1)];
                return picked.reshape(shape);
            });
        });
        s["Slice"] = new(["starts", "ends", "axes"], c =>
        {
            if (c.Opset < 10 && (!c.Attrs.Has("starts") || !c.Attrs.Has("ends")))
            {
                c.Problem("the required attributes 'starts' and 'ends' are missing (opset < 10)");
            }
        }, c =>
        {
            bool fromInputs = c.Opset >= 10;
            long[]? aStarts = c.Attrs.Ints("starts"), aEnds = c.Attrs.Ints("ends"), aAxes = c.Attrs.Ints("axes");
            string node = c.Node.DisplayName;
            return Kernel(i =>
            {
                var x = i[0]!;
                var starts = fromInputs ? Longs(i[1]!) : aStarts!;
                var ends = fromInputs ? Longs(i[2]!) : aEnds!;
                var axes = fromInputs ? (i.Length > 3 && i[3] is { } ax ? Longs(ax) : null) : aAxes;
                var steps = fromInputs && i.Length > 4 && i[4] is { } st ? Longs(st) : null;
                axes ??= Enumerable.Range(0, starts.Length).Select(a => (long)a).ToArray();
                for (int k = 0; k < axes.Length; k++)
                {
                    long axis = axes[k] < 0 ? axes[k] + x.dim() : axes[k];
                    long dim = x.shape[axis], step = steps?[k] ?? 1;
                    if (step == 0)
                    {
                        throw new OnnxImportException($"node '{node}' (Slice): a step of 0 is invalid");
                    }

                    long b = starts[k] < 0 ? starts[k] + dim : starts[k];
                    long e = ends[k] < 0 ? ends[k] + dim : ends[k];
                    if (step > 0)
                    {
                        b = Math.Clamp(b, 0, dim);
                        e = Math.Clamp(e, 0, dim);
                        x = x.slice(axis, b, Math.Max(b, e), step);
                    }
                    else
                    {
                        b = Math.Clamp(b, 0, dim - 1);
                        e = Math.Clamp(e, -1, dim - 1);
                        var picked = new List<long>();
                        for (long p = b; p > e; p += step)
                        {
                            picked.Add(p);
                        }

                        x = x.index_select(axis, torch.tensor(picked.ToArray(), ScalarType.Int64));
                    }
                }

                return x;
            });
        });
        s["Cast"] = new(["to"], c =>
        {
            if (OnnxDataTypes.ToScalarType((int)c.Attrs.Int("to", 0)) is null)
            {
                c.Problem($"cast to element type {OnnxDataTypes.Name((int)c.Attrs.Int("to", 0))} is not supported; supported: {OnnxDataTypes.SupportedNames}");
            }
        }, c =>
        {
            var type = OnnxDataTypes.ToScalarType((int)c.Attrs.Int("to", 0))!.Value;
            return Kernel(i => i[0]!.to_type(type));
        });
        s["ConstantOfShape"] = new(["value"], _ => { }, c =>
        {
            using var value = c.Attrs.Tensor("value") is { } t ? OnnxTensorConverter.ToTensor(t, c.Graph.Model) : torch.zeros(1);
            var type = value.dtype;
            double v = value.flatten()[0].ToDouble();
            return Kernel(i => torch.full(Longs(i[0]!), v, type));
        });
        return s;
    }

    private static OpSpec Binary(Func<Tensor, Tensor, Tensor> f) =>
        new([], _ => { }, _ => Kernel(i => f(i[0]!, i[1]!)), 7);

    private static OpSpec SoftmaxSpec(bool log) => new(["axis"], _ => { }, c =>
    {
        bool legacy = c.Opset < 13;
        long axisAttr = c.Attrs.Int("axis", legacy ? 1 : -1);
        return Kernel(i =>
        {
            var x = i[0]!;
            long axis = axisAttr < 0 ? axisAttr + x.dim() : axisAttr;
            if (!legacy)
            {
                return log ? x.log_softmax(axis) : x.softmax(axis);
            }

            // Before opset 13: the input is seen as 2-D [prod(dims < axis), prod(dims >= axis)].
            var shape = x.shape;
            long outer = shape.Take((int)axis).Aggregate(1L, (p, d) => p * d);
            var flat = x.reshape(outer, -1);
            return (log ? flat.log_softmax(1) : flat.softmax(1)).reshape(shape);
        });
    });

    private static OpSpec Reduce(Func<Tensor, long[], bool, Tensor> f, long axesInputFrom) =>
        new(["axes", "keepdims", "noop_with_empty_axes"], _ => { }, c =>
        {
            bool keep = c.Attrs.Int("keepdims", 1) != 0;
            bool noop = c.Attrs.Int("noop_with_empty_axes", 0) != 0;
            var attrAxes = c.Attrs.Ints("axes");
            bool fromInput = c.Opset >= axesInputFrom;
            return Kernel(i =>
            {
                var x = i[0]!;
                var axes = fromInput ? (i.Length > 1 && i[1] is { } a ? Longs(a) : null) : attrAxes;
                if (axes is null || axes.Length == 0)
                {
                    if (noop)
                    {
                        return x;
                    }

                    axes = Enumerable.Range(0, (int)x.dim()).Select(d => (long)d).ToArray();
                }

                return f(x, axes.Select(a => a < 0 ? a + x.dim() : a).ToArray(), keep);
            });
        });

    private static OnnxKernel Kernel(Func<Tensor?[], Tensor> f) => new(i => [f(i)], null);

    internal static long[] Longs(Tensor t) => t.to_type(ScalarType.Int64).flatten().data<long>().ToArray();

    private static bool IsUsed(OnnxNodeContext c, string value) =>
        value.Length > 0 && (c.Graph.Outputs.Contains(value) || c.Graph.Nodes.Any(n => n.Proto.Input.Contains(value)));

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // ---- Constant -------------------------------------------------------------------------------------------

    private static Tensor ConstantValue(OnnxNodeContext c) => ConstantTensor(c.Graph.Model, c.Node.Proto);

    /// <summary>The value of a Constant node, as a new tensor.</summary>
    internal static Tensor ConstantTensor(OnnxModel model, NodeProto node)
    {
        var a = new OnnxAttributes(node);
        if (a.Tensor("value") is { } t)
        {
            return OnnxTensorConverter.ToTensor(t, model);
        }

        if (a.Has("value_float"))
        {
            return torch.tensor(a.Float("value_float", 0));
        }

        if (a.Has("value_int"))
        {
            return torch.tensor(a.Int("value_int", 0));
        }

        if (a.Floats("value_floats") is { } fs)
        {
            return torch.tensor(fs);
        }

        return torch.tensor(a.Ints("value_ints") ?? []);
    }

    // ---- Padding helpers ------------------------------------------------------------------------------------

    /// <summary>ONNX 2-D pads [top, left, bottom, right] as torch's F.pad list [left, right, top, bottom].</summary>
    private static long[] TorchPads(long[] pads) => [pads[1], pads[3], pads[0], pads[2]];

    /// <summary>The pads auto_pad SAME_UPPER / SAME_LOWER gives for input size <paramref name="size"/>.</summary>
    private static long[] SamePads(long[] size, long[] kernel, long[] strides, long[] dilations, bool upper)
    {
        var begin = new long[2];
        var end = new long[2];
        for (int d = 0; d < 2; d++)
        {
            long output = (size[d] + strides[d] - 1) / strides[d];
            long total = Math.Max(0, (output - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - size[d]);
            begin[d] = upper ? total / 2 : total - total / 2;
            end[d] = total - begin[d];
        }

        return [begin[0], begin[1], end[0], end[1]];
    }

    private sealed record Window(long[] Kernel, long[] Strides, long[] Dilations, long[] Pads, string AutoPad)
    {
        public bool Same => AutoPad is "SAME_UPPER" or "SAME_LOWER";

        public bool Symmetric => !Same && Pads[0] == Pads[2] && Pads[1] == Pads[3];

        public long[] PadsFor(Tensor x) =>
            Same ? SamePads([x.shape[^2], x.shape[^1]], Kernel, Strides, Dilations, AutoPad == "SAME_UPPER") : Pads;
    }

    private static Window ReadWindow(OnnxNodeContext c, long[] kernel)
    {
        var autoPad = c.Attrs.String("auto_pad") ?? "NOTSET";
        var pads = autoPad == "VALID" ? [0, 0, 0, 0] : c.Attrs.Ints("pads") ?? [0, 0, 0, 0];
        return new Window(kernel, c.Attrs.Ints("strides") ?? [1, 1], c.Attrs.Ints("dilations") ?? [1, 1], pads, autoPad);
    }

    private static void CheckWindow(OnnxNodeContext c, int rank)
    {
        var autoPad = c.Attrs.String("auto_pad") ?? "NOTSET";
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
        {
            c.Problem($"auto_pad '{autoPad}' is not supported; supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        }

        foreach (var (name, length) in new[] { ("strides", rank), ("dilations", rank), ("pads", 2 * rank), ("kernel_shape", rank) })
        {
            if (c.Attrs.Ints(name) is { } v && v.Length != length)
            {
                c.Problem(Inv($"attribute '{name}' has {v.Length} values; only 2-D (NCHW) windows are supported, which need {length}"));
            }
        }

        if (c.Attrs.Ints("pads") is { } p && p.Any(x => x < 0))
        {
            c.Problem("negative pads are not supported");
        }
    }

    // ---- Conv -----------------------------------------------------------------------------------------------

    private static void CheckConv(OnnxNodeContext c)
    {
        CheckWindow(c, 2);
        if (!c.HasInput(1) || !c.Graph.IsStatic(c.Input(1)))
        {
            c.Problem("the weight (input 1) must be an initializer or a Constant: a computed weight cannot be a trainable layer");
            return;
        }

        var dims = c.Graph.StaticDims(c.Input(1));
        if (dims is null || dims.Length != 4)
        {
            c.Problem(Inv($"only 2-D convolutions (a 4-D weight) are supported; the weight has {dims?.Length ?? 0} dimensions"));
        }

        if (c.HasInput(2) && !c.Graph.IsStatic(c.Input(2)))
        {
            c.Problem("the bias (input 2) must be an initializer or a Constant");
        }
    }

    private static OnnxKernel BuildConv(OnnxNodeContext c)
    {
        using var w = c.Static(1);
        using var b = c.HasInput(2) ? c.Static(2) : null;
        long group = c.Attrs.Int("group", 1);
        long outC = w.shape[0], inC = w.shape[1] * group;
        var win = ReadWindow(c, [w.shape[2], w.shape[3]]);
        var symmetric = win.Symmetric;
        var conv = Conv2d(inC, outC, (win.Kernel[0], win.Kernel[1]), stride: (win.Strides[0], win.Strides[1]),
            padding: symmetric ? (win.Pads[0], win.Pads[1]) : (0, 0), dilation: (win.Dilations[0], win.Dilations[1]),
            groups: group, bias: b is not null);
        using (no_grad())
        {
            conv.weight!.copy_(w.to_type(ScalarType.Float32));
            if (b is not null)
            {
                conv.bias!.copy_(b.to_type(ScalarType.Float32).reshape(outC));
            }
        }

        return new OnnxKernel(i =>
        {
            var x = i[0]!;
            if (!symmetric)
            {
                x = F.pad(x, TorchPads(win.PadsFor(x)));
            }

            return [conv.call(x)];
        }, conv) { Owned = [1, 2] };
    }

    // ---- BatchNormalization ---------------------------------------------------------------------------------

    private static void CheckBatchNorm(OnnxNodeContext c)
    {
        for (int k = 1; k <= 4; k++)
        {
            if (!c.HasInput(k) || !c.Graph.IsStatic(c.Input(k)))
            {
                c.Problem(Inv($"input {k} (scale, bias, mean, var) must be an initializer or a Constant"));
            }
        }

        if (c.Attrs.Int("spatial", 1) != 1)
        {
            c.Problem("spatial=0 (per-element statistics) is not supported; only spatial=1");
        }

        if (c.Attrs.Int("training_mode", 0) != 0)
        {
            c.Problem("training_mode=1 in the file is not supported; TLDsl switches BatchNorm to training itself");
        }

        foreach (var extra in c.Node.Proto.Output.Skip(1))
        {
            if (IsUsed(c, extra))
            {
                c.Problem($"the extra output '{extra}' (running statistics) is used; only the first output is supported");
            }
        }
    }

    private static OnnxKernel BuildBatchNorm(OnnxNodeContext c)
    {
        using var scale = c.Static(1);
        using var bias = c.Static(2);
        using var mean = c.Static(3);
        using var variance = c.Static(4);
        long channels = scale.numel();
        double eps = c.Attrs.Float("epsilon", 1e-5f);
        double momentum = 1.0 - c.Attrs.Float("momentum", 0.9f);
        var bn = BatchNorm2d(channels, eps: eps, momentum: momentum);
        using (no_grad())
        {
            bn.weight!.copy_(scale.to_type(ScalarType.Float32).reshape(channels));
            bn.bias!.copy_(bias.to_type(ScalarType.Float32).reshape(channels));
            bn.running_mean!.copy_(mean.to_type(ScalarType.Float32).reshape(channels));
            bn.running_var!.copy_(variance.to_type(ScalarType.Float32).reshape(channels));
        }

        return new OnnxKernel(i =>
        {
            var x = i[0]!;
            long rank = x.dim();
            if (rank == 4)
            {
                return [bn.call(x)];
            }

            var y = x;
            for (long r = rank; r < 4; r++)
            {
                y = y.unsqueeze(-1);
            }

            y = bn.call(y);
            for (long r = rank; r < 4; r++)
            {
                y = y.squeeze(-1);
            }

            return [y];
        }, bn) { Owned = [1, 2, 3, 4] };
    }

    // ---- Pooling --------------------------------------------------------------------------------------------

    private static void CheckPool(OnnxNodeContext c)
    {
        CheckWindow(c, 2);
        if (c.Attrs.Ints("kernel_shape") is null)
        {
            c.Problem("the required attribute 'kernel_shape' is missing");
        }

        if (c.Node.Proto.Output.Count > 1 && IsUsed(c, c.Node.Proto.Output[1]))
        {
            c.Problem("the Indices output of MaxPool is not supported");
        }
    }

    private static bool TorchCanPad(Window w) =>
        w.Symmetric && w.Pads[0] * 2 <= w.Kernel[0] && w.Pads[1] * 2 <= w.Kernel[1];

    private static OnnxKernel BuildMaxPool(OnnxNodeContext c)
    {
        var win = ReadWindow(c, c.Attrs.Ints("kernel_shape")!);
        bool ceil = c.Attrs.Int("ceil_mode", 0) != 0;
        bool native = TorchCanPad(win) && win.Dilations.All(d => d == 1);
        return Kernel(i =>
        {
            var x = i[0]!;
            if (native)
            {
                return F.max_pool2d(x, win.Kernel, win.Strides, [win.Pads[0], win.Pads[1]], win.Dilations, ceil);
            }

            var padded = F.pad(x, TorchPads(win.PadsFor(x)), value: double.NegativeInfinity);
            return F.max_pool2d(padded, win.Kernel, win.Strides, [0, 0], win.Dilations, ceil);
        });
    }

    private static OnnxKernel BuildAvgPool(OnnxNodeContext c)
    {
        var win = ReadWindow(c, c.Attrs.Ints("kernel_shape")!);
        bool ceil = c.Attrs.Int("ceil_mode", 0) != 0;
        bool includePad = c.Attrs.Int("count_include_pad", 0) != 0;
        bool native = TorchCanPad(win);
        return Kernel(i =>
        {
            var x = i[0]!;
            if (native)
            {
                return F.avg_pool2d(x, win.Kernel, win.Strides, [win.Pads[0], win.Pads[1]], ceil, includePad);
            }

            // Explicit pads: window sums divided by how many cells of each window count (real cells, plus pad cells
            // when count_include_pad is set) — exact for asymmetric pads.
            var pads = TorchPads(win.PadsFor(x));
            var sums = F.avg_pool2d(F.pad(x, pads), win.Kernel, win.Strides, [0, 0], ceil, true, divisor_override: 1);
            using var ones = torch.ones(1, 1, x.shape[^2], x.shape[^1], x.dtype);
            using var mask = F.pad(ones, pads, value: includePad ? 1.0 : 0.0);
            using var counts = F.avg_pool2d(mask, win.Kernel, win.Strides, [0, 0], ceil, true, divisor_override: 1);
            return sums / counts;
        });
    }

    // ---- Pad ------------------------------------------------------------------------------------------------

    private static OnnxKernel BuildPad(OnnxNodeContext c)
    {
        var mode = c.Attrs.String("mode") ?? "constant";
        bool legacy = c.Opset < 11;
        var attrPads = c.Attrs.Ints("pads");
        double attrValue = c.Attrs.Float("value", 0f);
        var torchMode = mode switch { "reflect" => PaddingModes.Reflect, "edge" => PaddingModes.Replicate, _ => PaddingModes.Constant };
        return Kernel(i =>
        {
            var x = i[0]!;
            var pads = legacy ? attrPads! : Longs(i[1]!);
            double value = legacy ? attrValue : i.Length > 2 && i[2] is { } v ? v.ToDouble() : 0.0;
            int rank = (int)x.dim();
            var list = new List<long>();
            for (int d = rank - 1; d >= 0; d--)
            {
                list.Add(pads[d]);
                list.Add(pads[d + rank]);
            }

            // Trailing (outermost) zero pairs are dropped: reflect/replicate pad only the inner dimensions.
            while (list.Count > 2 && list[^1] == 0 && list[^2] == 0)
            {
                list.RemoveRange(list.Count - 2, 2);
            }

            return torchMode == PaddingModes.Constant ? F.pad(x, list.ToArray(), PaddingModes.Constant, value) : F.pad(x, list.ToArray(), torchMode);
        });
    }

    // ---- Gemm / MatMul --------------------------------------------------------------------------------------

    private static void CheckGemm(OnnxNodeContext c)
    {
        if (c.Graph.StaticDims(c.Input(1)) is { } dims && dims.Length != 2)
        {
            c.Problem(Inv($"B must be 2-D; it has {dims.Length} dimensions"));
        }
    }

    private static OnnxKernel BuildGemm(OnnxNodeContext c)
    {
        double alpha = c.Attrs.Float("alpha", 1f), beta = c.Attrs.Float("beta", 1f);
        bool transA = c.Attrs.Int("transA", 0) != 0, transB = c.Attrs.Int("transB", 0) != 0;
        if (!c.Graph.IsStatic(c.Input(1)))
        {
            return Kernel(i =>
            {
                var a = transA ? i[0]!.t() : i[0]!;
                var bm = transB ? i[1]!.t() : i[1]!;
                var y = a.matmul(bm) * alpha;
                return i.Length > 2 && i[2] is { } cc ? y + cc * beta : y;
            });
        }

        using var b = c.Static(1);
        using var weight = (transB ? b : b.t()).to_type(ScalarType.Float32) * alpha; // [N, K]
        long n = weight.shape[0], k = weight.shape[1];
        using var cStatic = c.StaticOrNull(2);
        bool biasInLinear = cStatic is not null && (cStatic.numel() == n || cStatic.numel() == 1);
        var linear = Linear(k, n, hasBias: biasInLinear);
        using (no_grad())
        {
            linear.weight!.copy_(weight);
            if (biasInLinear)
            {
                linear.bias!.copy_((cStatic!.to_type(ScalarType.Float32) * beta).flatten().expand(n));
            }
        }

        bool addC = c.HasInput(2) && !biasInLinear;
        return new OnnxKernel(i =>
        {
            var a = transA ? i[0]!.t() : i[0]!;
            var y = linear.call(a);
            return [addC ? y + i[2]! * beta : y];
        }, linear) { Owned = biasInLinear ? [1, 2] : [1] };
    }

    private static OnnxKernel BuildMatMul(OnnxNodeContext c)
    {
        var dims = c.Graph.StaticDims(c.Input(1));
        if (dims is null || dims.Length != 2)
        {
            return Kernel(i => i[0]!.matmul(i[1]!));
        }

        using var b = c.Static(1);
        var linear = Linear(b.shape[0], b.shape[1], hasBias: false);
        using (no_grad())
        {
            linear.weight!.copy_(b.t().to_type(ScalarType.Float32));
        }

        return new OnnxKernel(i => [linear.call(i[0]!)], linear) { Owned = [1] };
    }
}
