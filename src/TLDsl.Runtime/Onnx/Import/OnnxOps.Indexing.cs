using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Gather, Slice and ScatterND.</summary>
internal static partial class OnnxOps
{
    private static void AddIndexing(Dictionary<string, OpSpec> s)
    {
        s["ScatterND"] = new(["reduction"], c =>
        {
            if ((c.Attrs.String("reduction") ?? "none") != "none")
            {
                c.Problem($"reduction '{c.Attrs.String("reduction")}' is not supported; supported: none");
            }
        }, _ => Kernel(i => ScatterNd(i[0]!, i[1]!, i[2]!)), 11);
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
    }


    /// <summary>A copy of <paramref name="data"/> with the slices that the last axis of <paramref name="indices"/>
    /// addresses replaced by <paramref name="updates"/> (differentiable in data and updates).</summary>
    private static Tensor ScatterNd(Tensor data, Tensor indices, Tensor updates)
    {
        var idx = indices.to_type(ScalarType.Int64);
        long k = idx.shape[^1];
        var flat = idx.reshape(-1, k);
        var columns = new Tensor[k];
        for (int j = 0; j < k; j++)
        {
            var col = flat.select(1, j);
            columns[j] = where(col.lt(0), col + data.shape[j], col);
        }

        long[] sliceShape = [flat.shape[0], .. data.shape.Skip((int)k)];
        return data.clone().index_put_(updates.reshape(sliceShape), columns);
    }
}
