using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Max, average and global pooling.</summary>
internal static partial class OnnxOps
{
    private static void AddPooling(Dictionary<string, OpSpec> s)
    {
        s["MaxPool"] = new(["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"], CheckPool, BuildMaxPool);
        s["AveragePool"] = new(["auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"], CheckPool, BuildAvgPool);
        s["GlobalAveragePool"] = new([], _ => { }, _ => Kernel(i => i[0]!.mean(Enumerable.Range(2, (int)i[0]!.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true)));
        s["GlobalMaxPool"] = new([], _ => { }, _ => Kernel(i => i[0]!.amax(Enumerable.Range(2, (int)i[0]!.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true)));
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
}
