using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Onnx.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;
using W = TLDsl.Runtime.Onnx.Export.OnnxGraphWriter;

namespace TLDsl.Runtime.Onnx.Export;

/// <summary>
/// Re-writes an imported ONNX graph (as far as the pipeline kept it) with its trained weights: Conv, Gemm, MatMul and
/// BatchNormalization take their weights from the TorchSharp layers that trained them, Dropout becomes Identity, other
/// nodes are copied with their constants. Nodes of an older opset are brought to opset 17 where the operator's
/// signature changed (attributes that became inputs, BatchNormalization's legacy attributes); a change the exporter
/// cannot translate is an <see cref="OnnxExportException"/> naming the node.
/// </summary>
internal sealed class ImportedGraphExporter(W writer)
{
    public Value Emit(OnnxGraphModule module, Value x, string path)
    {
        var (graph, plan) = module.Compiled;
        long opset = graph.Graph.Model.GetOpsetVersion() ?? 1;
        var scope = string.IsNullOrEmpty(path) ? "onnx" : path;
        var map = new Dictionary<string, string>(StringComparer.Ordinal) { [graph.Input] = x.Name };
        var ranks = new Dictionary<string, long>(StringComparer.Ordinal);
        var output = graph.Run(x.Sample, module.OutputValue, [.. plan], (node, t) => ranks[node.Layer] = t.dim());

        string Map(string value)
        {
            if (value.Length == 0 || map.TryGetValue(value, out var mapped))
            {
                return value.Length == 0 ? value : map[value];
            }

            if (graph.Graph.Model.Initializers.TryGetValue(value, out var proto))
            {
                var copy = proto.Clone();
                copy.Name = writer.Fresh($"{scope}/{value}");
                if (copy.DataLocation == TensorProto.Types.DataLocation.External)
                {
                    throw new OnnxExportException($"cannot export the imported ONNX initializer '{value}': it is stored as external data; import a model with embedded weights.");
                }

                writer.AddInitializer(copy);
                map[value] = copy.Name;
                return copy.Name;
            }

            throw new OnnxExportException($"cannot export the imported ONNX graph: the value '{value}' is used before any node produces it.");
        }

        foreach (var node in plan)
        {
            var proto = node.Proto;
            var kernel = graph.Kernels[node.Layer];
            string where = $"{scope}.{node.Layer}";
            NodeProto copy;
            switch (proto.OpType, kernel.Layer)
            {
                case ("Conv", Conv2d conv):
                    copy = Copy(proto, Map, skipInputs: 1);
                    copy.Input.Add(writer.Initializer(where + ".weight", conv.weight!));
                    if (conv.bias is { } bias)
                    {
                        copy.Input.Add(writer.Initializer(where + ".bias", bias));
                    }

                    break;
                case ("BatchNormalization", BatchNorm2d bn):
                    copy = Copy(proto, Map, skipInputs: 1, keepAttribute: a => a is "epsilon" or "momentum");
                    copy.Input.Add(writer.Initializer(where + ".weight", bn.weight!));
                    copy.Input.Add(writer.Initializer(where + ".bias", bn.bias!));
                    copy.Input.Add(writer.Initializer(where + ".running_mean", bn.running_mean!));
                    copy.Input.Add(writer.Initializer(where + ".running_var", bn.running_var!));
                    // The extra training outputs (running statistics) are not produced at inference.
                    while (copy.Output.Count > 1)
                    {
                        copy.Output.RemoveAt(copy.Output.Count - 1);
                    }

                    break;
                case ("Gemm", Linear linear):
                {
                    // The Linear holds alpha * op(B) as [N, K]; a C that was not folded into its bias stays an input.
                    var attrs = new W.AttributeList(proto);
                    copy = Copy(proto, Map, skipInputs: 1, keepAttribute: a => a == "transA");
                    copy.Input.Add(writer.Initializer(where + ".weight", linear.weight!));
                    copy.Attribute.Add(W.Int("transB", 1));
                    if (linear.bias is { } b)
                    {
                        copy.Input.Add(writer.Initializer(where + ".bias", b));
                    }
                    else if (proto.Input.Count > 2 && proto.Input[2].Length > 0)
                    {
                        copy.Input.Add(Map(proto.Input[2]));
                        copy.Attribute.Add(W.Float("beta", attrs.Float("beta", 1f)));
                    }

                    break;
                }

                case ("MatMul", Linear linear):
                {
                    copy = Copy(proto, Map, skipInputs: 1);
                    using var transposed = linear.weight!.t();
                    copy.Input.Add(writer.Initializer(where + ".weight_t", transposed));
                    break;
                }

                case ("Dropout", _):
                    copy = new NodeProto { OpType = "Identity" };
                    copy.Input.Add(Map(proto.Input[0]));
                    copy.Output.Add(proto.Output[0]);
                    break;
                default:
                    if (kernel.Layer is not null)
                    {
                        throw new OnnxExportException($"cannot export the imported ONNX node '{node.DisplayName}' ({proto.OpType}): its trained layer is a {kernel.Layer.GetType().Name}, which the exporter does not know how to write back.");
                    }

                    copy = Upgrade(Copy(proto, Map), opset, node, ranks);
                    break;
            }

            copy.Name = writer.Fresh($"{scope}/{node.Layer}");
            for (int o = 0; o < copy.Output.Count; o++)
            {
                if (copy.Output[o].Length > 0)
                {
                    var fresh = writer.Fresh($"{scope}/{copy.Output[o]}");
                    map[copy.Output[o]] = fresh;
                    copy.Output[o] = fresh;
                }
            }

            writer.AddNode(copy);
        }

        return new Value(Map(module.OutputValue), output);
    }

    /// <summary>The node with its inputs renamed; <paramref name="skipInputs"/> > 0 keeps only that many leading inputs.</summary>
    private static NodeProto Copy(NodeProto proto, Func<string, string> map, int skipInputs = 0, Func<string, bool>? keepAttribute = null)
    {
        var copy = new NodeProto { OpType = proto.OpType, Domain = proto.Domain };
        var inputs = skipInputs > 0 ? proto.Input.Take(skipInputs) : proto.Input;
        copy.Input.AddRange(inputs.Select(map));
        copy.Output.AddRange(proto.Output);
        copy.Attribute.AddRange(proto.Attribute.Where(a => keepAttribute?.Invoke(a.Name) ?? true).Select(a => a.Clone()));
        return copy;
    }

    /// <summary>Brings a copied node of an older opset to opset 17 where its operator's signature changed.</summary>
    private NodeProto Upgrade(NodeProto node, long opset, OnnxNodeInfo info, Dictionary<string, long> ranks)
    {
        var attrs = new W.AttributeList(node);
        string where = $"the imported ONNX node '{info.DisplayName}' ({node.OpType}, opset {opset.ToString(CultureInfo.InvariantCulture)})";
        void MoveToInputs(params (string Attribute, Func<AttributeProto, string> Input)[] moves)
        {
            foreach (var (attribute, input) in moves)
            {
                var a = attrs.Get(attribute);
                node.Input.Add(a is null ? string.Empty : input(a));
                if (a is not null)
                {
                    node.Attribute.Remove(a);
                }
            }

            while (node.Input.Count > 0 && node.Input[^1].Length == 0)
            {
                node.Input.RemoveAt(node.Input.Count - 1);
            }
        }

        string Longs(AttributeProto a) => writer.Int64s(info.Layer + "." + a.Name, [.. a.Ints]);
        string FloatScalar(AttributeProto a) => writer.Scalar(info.Layer + "." + a.Name, a.F);
        if (opset < 7)
        {
            if (attrs.Get("axis") is not null && node.OpType is "Add" or "Sub" or "Mul" or "Div" or "Pow")
            {
                throw new OnnxExportException($"cannot export {where}: legacy axis broadcasting has no opset-17 form.");
            }

            if (attrs.Get("broadcast") is { } broadcast)
            {
                node.Attribute.Remove(broadcast);
            }
        }

        switch (node.OpType)
        {
            case "Clip" when opset < 11:
                MoveToInputs(("min", FloatScalar), ("max", FloatScalar));
                break;
            case "Pad" when opset < 11:
                MoveToInputs(("pads", Longs), ("value", FloatScalar));
                break;
            case "Squeeze" or "Unsqueeze" or "ReduceSum" when opset < 13:
                MoveToInputs(("axes", Longs));
                break;
            case "Reshape" when opset < 5:
                MoveToInputs(("shape", Longs));
                break;
            case "Slice" when opset < 10:
                MoveToInputs(("starts", Longs), ("ends", Longs), ("axes", Longs));
                break;
            case "Softmax" or "LogSoftmax" when opset < 13:
                // Before opset 13 the input was flattened to 2-D at the axis: the same only when the axis is the last.
                long axis = attrs.Get("axis")?.I ?? 1;
                long rank = ranks.TryGetValue(info.Layer, out var r) ? r : 2;
                if (axis != -1 && axis != rank - 1)
                {
                    throw new OnnxExportException($"cannot export {where}: axis {axis} of a rank-{rank} input has no opset-17 form.");
                }

                break;
            case "Cast" when opset < 6:
                throw new OnnxExportException($"cannot export {where}: re-save the model at opset 6 or later.");
            default:
                break;
        }

        return node;
    }
}
