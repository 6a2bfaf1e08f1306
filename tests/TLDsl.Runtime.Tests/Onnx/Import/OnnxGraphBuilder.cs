using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Onnx.Proto;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>Builds small, fully typed ONNX graphs (one float input "x", one float output "y") that ONNX Runtime also runs.</summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private int _nodes;

    public OnnxGraphBuilder(params long[] inputShape)
    {
        _graph.Input.Add(Value("x", inputShape));
    }

    public OnnxGraphBuilder Floats(string name, long[] dims, params float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float };
        t.Dims.Add(dims);
        t.FloatData.Add(values);
        _graph.Initializer.Add(t);
        return this;
    }

    public OnnxGraphBuilder Longs(string name, long[] dims, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        t.Dims.Add(dims);
        t.Int64Data.Add(values);
        _graph.Initializer.Add(t);
        return this;
    }

    /// <summary>A node named after its op and position; attributes are ints (long), int lists (long[]) or floats.</summary>
    public OnnxGraphBuilder Node(string op, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { Name = $"{op}_{_nodes++}", OpType = op };
        node.Input.Add(inputs);
        node.Output.Add(output);
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long i:
                    a.Type = AttributeProto.Types.AttributeType.Int;
                    a.I = i;
                    break;
                case long[] ints:
                    a.Type = AttributeProto.Types.AttributeType.Ints;
                    a.Ints.Add(ints);
                    break;
                case float f:
                    a.Type = AttributeProto.Types.AttributeType.Float;
                    a.F = f;
                    break;
                case TensorProto t:
                    a.Type = AttributeProto.Types.AttributeType.Tensor;
                    a.T = t;
                    break;
                default:
                    throw new System.ArgumentException($"attribute {name}: unsupported value {value}");
            }

            node.Attribute.Add(a);
        }

        _graph.Node.Add(node);
        return this;
    }

    public ModelProto Build(string output = "y", params long[] outputShape)
    {
        _graph.Output.Add(Value(output, outputShape));
        var model = new ModelProto { IrVersion = 8, ProducerName = "TLDsl tests", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    public IEnumerable<NodeProto> Nodes => _graph.Node;

    private static ValueInfoProto Value(string name, long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = new TensorShapeProto() };
        tensor.Shape.Dim.Add(shape.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
