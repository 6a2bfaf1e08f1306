using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Element-wise activations, Clip and (Log)Softmax.</summary>
internal static partial class OnnxOps
{
    private static void AddActivations(Dictionary<string, OpSpec> s)
    {
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
        s["Softmax"] = SoftmaxSpec(log: false);
        s["LogSoftmax"] = SoftmaxSpec(log: true);
    }

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
}
