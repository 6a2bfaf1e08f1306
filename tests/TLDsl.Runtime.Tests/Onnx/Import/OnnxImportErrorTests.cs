using System.Linq;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Onnx.Proto;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>Unsupported and malformed graphs are reported, before any training, naming the node, op and the supported set.</summary>
public sealed class OnnxImportErrorTests
{
    private static NodeProto Node(string name, string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { Name = name, OpType = op };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        return node;
    }

    private static OnnxModel Model(long opset, params NodeProto[] nodes)
    {
        var model = OnnxTestFiles.Model();
        model.Graph.Node.Clear();
        model.Graph.Node.Add(nodes);
        model.OpsetImport[0].Version = opset;
        using var files = new OnnxTestFiles();
        return OnnxModelFile.Read(files.Write("m.onnx", model));
    }

    [Fact]
    public void An_unsupported_operator_is_named_with_the_supported_set()
    {
        var model = Model(13, Node("relu", "Relu", ["x"], ["h"]), Node("weird", "NonMaxSuppression", ["h"], ["y"]));
        var problem = Assert.Single(OnnxImporter.Check(model));
        Assert.Equal("weird", problem.NodeName);
        Assert.Equal("NonMaxSuppression", problem.OpType);
        Assert.Contains("Conv", problem.Message);
        var ex = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model));
        Assert.Contains("node 'weird' (NonMaxSuppression)", ex.Message);
        Assert.Contains("m.onnx", ex.Message);
    }

    [Fact]
    public void Unsupported_opsets_attributes_and_domains_are_all_listed()
    {
        var flatten = Node("flat", "Flatten", ["x"], ["h"]);
        flatten.Attribute.Add(new AttributeProto { Name = "frobnicate", I = 1, Type = AttributeProto.Types.AttributeType.Int });
        var custom = Node("custom", "Relu", ["h"], ["y"]);
        custom.Domain = "com.example";
        var problems = OnnxImporter.Check(Model(6, flatten, custom));
        Assert.Contains(problems, p => p.NodeName is null && p.Message.Contains("opset 6 is not supported; supported: 7 to 17"));
        Assert.Contains(problems, p => p.NodeName == "flat" && p.Message.Contains("attribute 'frobnicate'"));
        Assert.Contains(problems, p => p.NodeName == "custom" && p.Message.Contains("com.example"));
        Assert.Contains(OnnxImporter.Check(Model(18, Node("r", "Relu", ["x"], ["y"]))), p => p.Message.Contains("opset 18"));
    }

    [Fact]
    public void A_computed_conv_weight_cannot_be_a_trainable_layer()
    {
        var problems = OnnxImporter.Check(Model(13, Node("c", "Conv", ["x", "x"], ["y"])));
        Assert.Contains(problems, p => p.NodeName == "c" && p.Message.Contains("initializer"));
    }

    [Fact]
    public void Dangling_inputs_and_cycles_are_clear_errors()
    {
        var dangling = OnnxImporter.Check(Model(13, Node("r", "Add", ["x", "nowhere"], ["y"])));
        Assert.Contains(dangling, p => p.NodeName == "r" && p.Message.Contains("'nowhere'") && p.Message.Contains("dangling"));

        var cycle = OnnxImporter.Check(Model(13,
            Node("a", "Add", ["x", "b_out"], ["a_out"]), Node("b", "Relu", ["a_out"], ["b_out"]), Node("c", "Relu", ["a_out"], ["y"])));
        Assert.Contains(cycle, p => p.Message.Contains("cycle") && p.Message.Contains("'a'"));
        Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(13,
            Node("a", "Add", ["x", "b_out"], ["a_out"]), Node("b", "Relu", ["a_out"], ["b_out"]), Node("c", "Relu", ["a_out"], ["y"]))));
    }

    [Fact]
    public void Layer_names_are_sanitised_unique_and_stable()
    {
        var model = Model(13, Node("/features/features.0/Relu", "Relu", ["x"], ["a"]), Node("/other/features.0/Relu", "Relu", ["a"], ["b"]),
            Node("", "Relu", ["b"], ["c"]), Node("head", "Identity", ["c"], ["y"]));
        using var module = OnnxImporter.Import(model);
        Assert.Equal(["features_0_Relu", "features_0_Relu_2", "Relu_2", "head_2"], module.LayerNames);
        using var again = OnnxImporter.Import(model);
        Assert.Equal(module.LayerNames, again.LayerNames);
        Assert.Equal(DataType.Float, (DataType)1);
    }
}
