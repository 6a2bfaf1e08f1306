using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Proto;
using TLDsl.Runtime.Weights;
using TorchSharp;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Tests.Onnx;

public sealed class OnnxModelFileTests : IDisposable
{
    private readonly OnnxTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Reads_the_packaged_ResNet18()
    {
        var model = OnnxModelFile.Read(ImageNetResNet18Weights.Locate());

        Assert.Equal(3, model.IrVersion);
        Assert.Equal(8, model.GetOpsetVersion());
        Assert.Equal(8, model.GetOpsetVersion("ai.onnx"));
        Assert.Null(model.GetOpsetVersion("com.example"));
        Assert.Equal(110, model.InitializerNames.Count);
        Assert.Equal(110, model.Initializers.Count);
        Assert.All(model.Graph.Initializer, t => Assert.Equal((int)DataType.Float, t.DataType));
        Assert.Equal(["Input247"], model.InputNames);
        Assert.Equal(["Pooling395_Output_0"], model.OutputNames);
        var input = model.Graph.Input.Single(v => v.Name == "Input247");
        Assert.Equal(new long[] { 1, 3, 224, 224 }, input.Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        var output = model.Graph.Output.Single();
        Assert.Equal(new long[] { 1, 512, 1, 1 }, output.Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.Equal(74, model.Graph.Node.Count);
        Assert.Equal(8, model.Graph.Node.Count(n => n.OpType == "Add") - 1); // 9 residual Adds

        var stemConv = model.Graph.Node.First(n => n.OpType == "Conv");
        using var weight = model.ReadInitializer(stemConv.Input[1]);
        Assert.Equal(new long[] { 64, 3, 7, 7 }, weight.shape);
        Assert.Equal(torch.ScalarType.Float32, weight.dtype);
        Assert.True(weight.abs().max().item<float>() > 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(1_000_000)]
    [InlineData(40_000_000)]
    [InlineData(-1)]
    public void TruncatedFileGivesAClearErrorNamingTheFile(int length)
    {
        var original = ImageNetResNet18Weights.Locate();
        using var source = File.OpenRead(original);
        var size = length > 0 ? length : (int)source.Length + length;
        var bytes = new byte[size];
        source.ReadExactly(bytes);
        var path = _files.Write("truncated.onnx", bytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.StartsWith(path + ":", ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.FilePath);
        // Nothing beyond the file itself and the messages parsed from it.
        Assert.True(allocated < (3L * size) + (16 << 20), $"allocated {allocated} bytes for a {size}-byte file");
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(2, 1024)]
    [InlineData(3, 65536)]
    [InlineData(4, 1 << 20)]
    public void RandomBytesGiveAClearError(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        var path = _files.Write($"random{seed}.onnx", bytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < (3L * size) + (16 << 20), $"allocated {allocated} bytes for a {size}-byte file");
    }

    [Fact]
    public void Empty_file_and_missing_graph_are_rejected()
    {
        var empty = _files.Write("empty.onnx", []);
        Assert.Contains("empty", Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(empty)).Message, StringComparison.Ordinal);

        var noGraph = _files.Write("nograph.onnx", new ModelProto { IrVersion = 8 });
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(noGraph));
        Assert.Contains("no graph", ex.Message, StringComparison.Ordinal);

        var noOpset = OnnxTestFiles.Model();
        noOpset.OpsetImport.Clear();
        var noOpsetPath = _files.Write("noopset.onnx", noOpset);
        Assert.Contains("operator set", Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(noOpsetPath)).Message,
            StringComparison.Ordinal);

        Assert.Throws<FileNotFoundException>(() => OnnxModelFile.Read(Path.Combine(_files.Directory, "missing.onnx")));
    }

    [Fact]
    public void File_size_limit_is_checked_before_reading()
    {
        var path = ImageNetResNet18Weights.Locate();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<OnnxFormatException>(() =>
            OnnxModelFile.Read(path, new OnnxReadOptions { MaxFileBytes = 1 << 20 }));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(path), ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(1_000_000_000_000L, 1_000_000_000_000L)]
    [InlineData(1L << 40, 1)]
    [InlineData(long.MaxValue, 2)]
    [InlineData(3, -1)]
    public void AbsurdDimensionsAreRejectedBeforeAllocating(long d0, long d1)
    {
        var huge = OnnxTestFiles.Tensor("huge_weight", DataType.Float, d0, d1);
        huge.RawData = ByteString.CopyFrom(new byte[16]);
        var path = _files.Write("huge.onnx", OnnxTestFiles.Model(huge));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.StartsWith(path + ":", ex.Message, StringComparison.Ordinal);
        Assert.Contains("huge_weight", ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");

        // The converter applies the same checks to tensors that did not come through OnnxModelFile.
        Assert.Throws<OnnxFormatException>(() => OnnxTensorConverter.ToTensor(huge));
    }

    [Fact]
    public void Huge_tensor_inside_a_node_attribute_is_rejected()
    {
        var model = OnnxTestFiles.Model();
        var constant = new NodeProto { Name = "const", OpType = "Constant" };
        constant.Output.Add("c");
        var value = OnnxTestFiles.Tensor("value", DataType.Float, 1_000_000_000_000L, 1_000_000_000_000L);
        constant.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });
        model.Graph.Node.Add(constant);
        var path = _files.Write("attr.onnx", model);

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        Assert.Contains("attribute 'value' of node 'const'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_does_not_match_the_dimensions_is_rejected()
    {
        var shortRaw = OnnxTestFiles.Tensor("short_raw", DataType.Float, 2, 3);
        shortRaw.RawData = ByteString.CopyFrom(new byte[20]);
        var path = _files.Write("short_raw.onnx", OnnxTestFiles.Model(shortRaw));
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        Assert.Contains("'short_raw'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("24 bytes", ex.Message, StringComparison.Ordinal);

        var shortTyped = OnnxTestFiles.Tensor("short_typed", DataType.Float, 2, 3);
        shortTyped.FloatData.Add([1, 2, 3, 4, 5]);
        path = _files.Write("short_typed.onnx", OnnxTestFiles.Model(shortTyped));
        ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        Assert.Contains("float_data holds 5 values", ex.Message, StringComparison.Ordinal);

        var noData = OnnxTestFiles.Tensor("no_data", DataType.Int64, 1_000_000);
        path = _files.Write("no_data.onnx", OnnxTestFiles.Model(noData));
        ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        Assert.Contains("'no_data'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_initializer_names_are_rejected()
    {
        var a = OnnxTestFiles.Tensor("w", DataType.Float, 1);
        a.FloatData.Add(1);
        var path = _files.Write("dup.onnx", OnnxTestFiles.Model(a, a.Clone()));
        Assert.Contains("defined twice", Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_subgraphs_hit_the_recursion_limit()
    {
        var model = OnnxTestFiles.Model();
        var graph = model.Graph;
        for (var i = 0; i < 200; i++)
        {
            var inner = new GraphProto { Name = "g" + i };
            var node = new NodeProto { OpType = "If" };
            node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner });
            graph.Node.Add(node);
            graph = inner;
        }

        var path = _files.Write("deep.onnx", model);
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_models_fail_only_with_OnnxFormatException()
    {
        var raw = OnnxTestFiles.Tensor("raw", DataType.Float, 2, 3);
        raw.RawData = ByteString.CopyFrom(new byte[24]);
        var typed = OnnxTestFiles.Tensor("typed", DataType.Int64, 3);
        typed.Int64Data.Add([1, 2, 3]);
        var external = OnnxTestFiles.Tensor("external", DataType.Float, 4);
        external.DataLocation = TensorProto.Types.DataLocation.External;
        external.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
        var model = OnnxTestFiles.Model(raw, typed, external);
        var constant = new NodeProto { Name = "c", OpType = "Constant" };
        constant.Output.Add("c");
        constant.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = raw.Clone() });
        model.Graph.Node.Add(constant);
        var original = model.ToByteArray();
        var path = Path.Combine(_files.Directory, "fuzz.onnx");
        var random = new Random(12345);
        int parsed = 0, rejected = 0;
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])original.Clone();
            var edits = random.Next(1, 4);
            for (var e = 0; e < edits; e++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            if (random.Next(4) == 0)
            {
                bytes = bytes[..random.Next(1, bytes.Length)];
            }

            try
            {
                var result = OnnxModelFile.Parse(bytes, path);
                foreach (var name in result.InitializerNames.Where(n => n != "external"))
                {
                    try
                    {
                        using var tensor = result.ReadInitializer(name);
                    }
                    catch (OnnxFormatException)
                    {
                        // e.g. a mutated element type TorchSharp cannot hold
                    }
                }

                parsed++;
            }
            catch (OnnxFormatException ex)
            {
                Assert.StartsWith(path + ":", ex.Message, StringComparison.Ordinal);
                rejected++;
            }
        }

        Assert.True(parsed > 0 && rejected > 0, $"parsed {parsed}, rejected {rejected}");
    }
}
