using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>ReduceMean, ReduceSum, ReduceMax.</summary>
internal static partial class OnnxOps
{
    private static void AddReductions(Dictionary<string, OpSpec> s)
    {
        s["ReduceMean"] = Reduce((x, axes, keep) => x.mean(axes, keepdim: keep), axesInputFrom: 18);
        s["ReduceSum"] = Reduce((x, axes, keep) => x.sum(axes, keepdim: keep), axesInputFrom: 13);
        s["ReduceMax"] = Reduce((x, axes, keep) => x.amax(axes, keepdim: keep), axesInputFrom: 18);
    }

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
}
