using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Onnx.Proto;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx;

/// <summary>
/// A parsed and checked ONNX model: the protobuf message plus the file it came from (external data is resolved
/// relative to its folder). Made by <see cref="OnnxModelFile.Read(string, OnnxReadOptions?)"/>.
/// </summary>
public sealed class OnnxModel
{
    private readonly Dictionary<string, TensorProto> _initializers;

    internal OnnxModel(string filePath, ModelProto proto, OnnxReadOptions options)
    {
        FilePath = filePath;
        Directory = System.IO.Path.GetDirectoryName(filePath) ?? ".";
        Proto = proto;
        Options = options;
        _initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var tensor in proto.Graph.Initializer)
        {
            if (!_initializers.TryAdd(tensor.Name, tensor))
            {
                throw new OnnxFormatException(filePath, $"initializer '{tensor.Name}' is defined twice");
            }
        }

        InitializerNames = proto.Graph.Initializer.Select(t => t.Name).ToArray();
        // Before IR version 4 every initializer is also listed as a graph input; the real inputs are the others.
        InputNames = proto.Graph.Input.Select(v => v.Name).Where(n => !_initializers.ContainsKey(n)).ToArray();
        OutputNames = proto.Graph.Output.Select(v => v.Name).ToArray();
    }

    /// <summary>The full path of the file the model was read from.</summary>
    public string FilePath { get; }

    /// <summary>The folder external data is resolved against (the model file's folder).</summary>
    public string Directory { get; }

    /// <summary>The parsed protobuf message.</summary>
    public ModelProto Proto { get; }

    /// <summary>The main graph.</summary>
    public GraphProto Graph => Proto.Graph;

    /// <summary>The ONNX IR version the file declares.</summary>
    public long IrVersion => Proto.IrVersion;

    /// <summary>The limits the model was read with; tensor conversion applies them again.</summary>
    public OnnxReadOptions Options { get; }

    /// <summary>The names of the graph's real inputs (initializers listed as inputs by IR &lt; 4 files excluded), in order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The names of the graph's outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>The initializer names in file order.</summary>
    public IReadOnlyList<string> InitializerNames { get; }

    /// <summary>The initializers by name.</summary>
    public IReadOnlyDictionary<string, TensorProto> Initializers => _initializers;

    /// <summary>
    /// The version of the operator set imported for <paramref name="domain"/> ("" and "ai.onnx" both mean the default
    /// ONNX domain), or null when the model does not import it.
    /// </summary>
    /// <param name="domain">The operator-set domain.</param>
    public long? GetOpsetVersion(string domain = "")
    {
        static string Normalize(string d) => d == "ai.onnx" ? string.Empty : d;
        var wanted = Normalize(domain);
        foreach (var opset in Proto.OpsetImport)
        {
            if (Normalize(opset.Domain) == wanted)
            {
                return opset.Version;
            }
        }

        return null;
    }

    /// <summary>Converts the initializer <paramref name="name"/> to a new TorchSharp tensor (the caller owns it).</summary>
    /// <param name="name">The initializer's name.</param>
    public Tensor ReadInitializer(string name)
    {
        if (!_initializers.TryGetValue(name, out var tensor))
        {
            throw new OnnxFormatException(FilePath, $"there is no initializer named '{name}'");
        }

        return OnnxTensorConverter.ToTensor(tensor, this);
    }
}
