using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>BatchNormalization as a BatchNorm2d (running statistics update in train mode) and Dropout as a Dropout module.</summary>
internal static partial class OnnxOps
{
    private static void AddNormalization(Dictionary<string, OpSpec> s)
    {
        s["BatchNormalization"] = new(["epsilon", "momentum", "spatial", "training_mode", "is_test"], CheckBatchNorm, BuildBatchNorm);
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
}
