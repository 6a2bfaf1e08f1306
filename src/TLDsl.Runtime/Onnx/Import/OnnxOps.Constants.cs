using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Constant, ConstantOfShape, Range and Cast.</summary>
internal static partial class OnnxOps
{
    private static void AddConstants(Dictionary<string, OpSpec> s)
    {
        s["Range"] = new([], _ => { }, _ => Kernel(i =>
        {
            var start = i[0]!;
            return start.is_floating_point()
                ? torch.arange(start.ToDouble(), i[1]!.ToDouble(), i[2]!.ToDouble(), start.dtype)
                : torch.arange(start.ToInt64(), i[1]!.ToInt64(), i[2]!.ToInt64(), start.dtype);
        }), 11);
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
    }

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
}
