using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Shape computations and re-layouts: Shape, Reshape, Flatten, Transpose, (Un)Squeeze, Concat, Expand, Pad.</summary>
internal static partial class OnnxOps
{
    private static void AddShapes(Dictionary<string, OpSpec> s)
    {
        s["Expand"] = new([], _ => { }, _ => Kernel(i => i[0]!.expand(BroadcastShape(i[0]!.shape, Longs(i[1]!)))), 8);
        s["Concat"] = new(["axis"], c => { if (!c.Attrs.Has("axis")) { c.Problem("the required attribute 'axis' is missing"); } }, c =>
        {
            long axis = c.Attrs.Int("axis", 0);
            return Kernel(i => torch.cat(i.Where(t => t is not null).Select(t => t!).ToList(), axis));
        });
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

    /// <summary>ONNX Expand's shape: numpy broadcasting of the input's shape and the requested one (either side may be 1
    /// where the other is larger; torch's expand only lets the input's side be 1).</summary>
    private static long[] BroadcastShape(long[] input, long[] requested)
    {
        int rank = Math.Max(input.Length, requested.Length);
        var shape = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            long a = d - (rank - input.Length) >= 0 ? input[d - (rank - input.Length)] : 1;
            long b = d - (rank - requested.Length) >= 0 ? requested[d - (rank - requested.Length)] : 1;
            if (a != b && a != 1 && b != 1)
            {
                throw new OnnxImportException(FormattableString.Invariant(
                    $"Expand: the input's shape [{string.Join(", ", input)}] does not broadcast to [{string.Join(", ", requested)}]"));
            }

            shape[d] = a == 1 ? b : a;
        }

        return shape;
    }
}
