using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Gemm and MatMul: a trainable Linear when the weight is constant, a plain product otherwise.</summary>
internal static partial class OnnxOps
{
    private static void AddLinear(Dictionary<string, OpSpec> s)
    {
        s["Gemm"] = new(["alpha", "beta", "transA", "transB"], CheckGemm, BuildGemm);
        s["MatMul"] = new([], _ => { }, BuildMatMul);
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
