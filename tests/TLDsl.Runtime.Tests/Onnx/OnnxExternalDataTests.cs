using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Proto;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Tests.Onnx;

public sealed class OnnxExternalDataTests : IDisposable
{
    private readonly OnnxTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static TensorProto External(string name, string location, long offset = 0, long? length = null, params long[] dims)
    {
        var tensor = OnnxTestFiles.Tensor(name, DataType.Float, dims.Length == 0 ? [4] : dims);
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is long l)
        {
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        return tensor;
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("../outside.bin")]
    [InlineData("sub/../../outside.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("..\\..\\etc\\passwd")]
    [InlineData("C:\\Windows\\win.ini")]
    public void LocationsOutsideTheModelFolderAreRejected(string location)
    {
        var path = _files.Write("model/evil.onnx", OnnxTestFiles.Model(External("stolen", location)));

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));

        Assert.StartsWith(path + ":", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'stolen'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(location, ex.Message, StringComparison.Ordinal);
        Assert.Contains("inside the model's folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symbolic_link_leading_out_is_rejected()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // creating links needs privileges there
        }

        var outside = _files.Write("secret.bin", new byte[16]);
        var path = _files.Write("model/linked.onnx", OnnxTestFiles.Model(External("w", "data/weights.bin")));
        Directory.CreateDirectory(Path.Combine(_files.Directory, "model", "data"));
        File.CreateSymbolicLink(Path.Combine(_files.Directory, "model", "data", "weights.bin"), outside);

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        Assert.Contains("symbolic link", ex.Message, StringComparison.Ordinal);

        Directory.CreateSymbolicLink(Path.Combine(_files.Directory, "model", "dir"), _files.Directory);
        path = _files.Write("model/linkeddir.onnx", OnnxTestFiles.Model(External("w", "dir/secret.bin")));
        ex = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(path));
        Assert.Contains("symbolic link", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_inside_the_folder_is_read()
    {
        float[] values = [1.5f, -2f, 3.25f, 4f, 5f, 6f];
        var bytes = new byte[8 + (values.Length * 4)];
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes.AsSpan(8));
        _files.Write("model/data/weights.bin", bytes);
        var path = _files.Write("model/good.onnx",
            OnnxTestFiles.Model(External("w", "data/weights.bin", offset: 8, length: 24, dims: [2, 3])));

        var model = OnnxModelFile.Read(path);
        using var tensor = model.ReadInitializer("w");

        Assert.Equal(new long[] { 2, 3 }, tensor.shape);
        Assert.Equal(values, tensor.data<float>().ToArray());
    }

    [Fact]
    public void External_data_beyond_the_end_of_its_file_is_rejected()
    {
        _files.Write("model/small.bin", new byte[10]);
        var path = _files.Write("model/overrun.onnx", OnnxTestFiles.Model(External("w", "small.bin", offset: 4)));
        var model = OnnxModelFile.Read(path);

        var ex = Assert.Throws<OnnxFormatException>(() => model.ReadInitializer("w"));
        Assert.Contains("has only 10 bytes", ex.Message, StringComparison.Ordinal);

        var wrongLength = _files.Write("model/wronglength.onnx", OnnxTestFiles.Model(External("w", "small.bin", length: 8)));
        Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Read(wrongLength));

        var missing = _files.Write("model/missing.onnx", OnnxTestFiles.Model(External("w", "nothere.bin")));
        var missingModel = OnnxModelFile.Read(missing);
        Assert.Contains("does not exist", Assert.Throws<OnnxFormatException>(() => missingModel.ReadInitializer("w")).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_needs_its_model()
    {
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxTensorConverter.ToTensor(External("w", "weights.bin")));
        Assert.Contains("external data", ex.Message, StringComparison.Ordinal);
    }
}
