using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Native;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Conv as a trainable Conv2d, and the window/padding rules it shares with pooling.</summary>
internal static partial class OnnxOps
{
    private static void AddConvolution(Dictionary<string, OpSpec> s)
    {
        s["Conv"] = new(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"], CheckConv, BuildConv);
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

            return [PaddedConvolution.Forward(conv, x)];
        }, conv) { Owned = [1, 2] };
    }
}
