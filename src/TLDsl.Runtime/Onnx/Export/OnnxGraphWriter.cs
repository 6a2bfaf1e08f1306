using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using TLDsl.Runtime.Onnx.Proto;
using static TorchSharp.torch;
using AttributeType = TLDsl.Runtime.Onnx.Proto.AttributeProto.Types.AttributeType;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Onnx.Export;

/// <summary>Collects the nodes and initializers of one ONNX graph, naming values uniquely.</summary>
internal sealed class OnnxGraphWriter
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public GraphProto Graph { get; } = new() { Name = "tldsl" };

    /// <summary>A value name not used before, derived from <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        string name = hint;
        while (!_names.Add(name))
        {
            name = $"{hint}_{++_counter}";
        }

        return name;
    }

    /// <summary>Reserves an exact name (graph inputs/outputs, copied values).</summary>
    public string Reserve(string name)
    {
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"the ONNX value name '{name}' is used twice");
        }

        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string scope, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string output = Fresh(scope.Length == 0 ? opType : $"{scope}/{opType}");
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>A float32 initializer holding a copy of <paramref name="tensor"/>.</summary>
    public string Initializer(string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var contiguous = tensor.detach().to_type(ScalarType.Float32).cpu().contiguous();
        // One copy, native memory to the protobuf: an exported ResNet-18 is 61 MiB, and every extra copy was garbage
        // alive when ONNX Runtime's session made its own.
        return Add(name, contiguous.shape, contiguous.bytes);
    }

    /// <summary>A float32 initializer.</summary>
    public string Floats(string name, float[] values, long[] dims) => Add(name, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    private string Add(string name, long[] dims, ReadOnlySpan<byte> littleEndianFloats)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw data is little-endian; this machine is not.");
        }

        var proto = new TensorProto { Name = Fresh(name), DataType = (int)DataType.Float };
        proto.Dims.AddRange(dims);
        proto.RawData = ByteString.CopyFrom(littleEndianFloats);
        Graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>An int64 initializer.</summary>
    public string Int64s(string name, long[] values, long[]? dims = null)
    {
        var proto = new TensorProto { Name = Fresh(name), DataType = (int)DataType.Int64 };
        proto.Dims.AddRange(dims ?? [values.Length]);
        proto.Int64Data.AddRange(values);
        Graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A float scalar initializer.</summary>
    public string Scalar(string name, float value) => Floats(name, [value], []);

    /// <summary>Adds a copied initializer under a reserved name.</summary>
    public void AddInitializer(TensorProto proto) => Graph.Initializer.Add(proto);

    /// <summary>Adds a copied node.</summary>
    public void AddNode(NodeProto node) => Graph.Node.Add(node);

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A tensor value description: element type and dims (a null dim is the symbolic batch).</summary>
    public static ValueInfoProto Value(string name, DataType type, params long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is { } v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>All node inputs that no node, initializer or graph input defines (a writer bug if not empty).</summary>
    public IEnumerable<string> Undefined()
    {
        var defined = new HashSet<string>(Graph.Initializer.Select(i => i.Name).Concat(Graph.Input.Select(i => i.Name)), StringComparer.Ordinal);
        foreach (var node in Graph.Node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0 && !defined.Contains(i)))
            {
                yield return input;
            }

            defined.UnionWith(node.Output);
        }
    }

    /// <summary>A node's attributes by name.</summary>
    internal sealed class AttributeList(NodeProto node)
    {
        public AttributeProto? Get(string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

        public float Float(string name, float fallback) => Get(name)?.F ?? fallback;
    }
}
