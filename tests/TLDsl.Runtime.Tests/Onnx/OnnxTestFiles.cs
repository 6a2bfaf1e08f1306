using System;
using System.IO;
using Google.Protobuf;
using TLDsl.Runtime.Onnx.Proto;

namespace TLDsl.Runtime.Tests.Onnx;

/// <summary>Builds small ONNX files for tests in a private temporary folder that is deleted on dispose.</summary>
internal sealed class OnnxTestFiles : IDisposable
{
    public OnnxTestFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "tldsl-onnx-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Write(string name, ModelProto model) => Write(name, model.ToByteArray());

    /// <summary>A valid model: graph input x, Identity node, output y, and the given initializers.</summary>
    public static ModelProto Model(params TensorProto[] initializers)
    {
        var graph = new GraphProto { Name = "test" };
        graph.Input.Add(new ValueInfoProto { Name = "x" });
        graph.Output.Add(new ValueInfoProto { Name = "y" });
        var node = new NodeProto { Name = "identity", OpType = "Identity" };
        node.Input.Add("x");
        node.Output.Add("y");
        graph.Node.Add(node);
        graph.Initializer.Add(initializers);
        var model = new ModelProto { IrVersion = 8, ProducerName = "TLDsl tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    public static TensorProto Tensor(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.Add(dims);
        return tensor;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
