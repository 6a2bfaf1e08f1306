using System;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Proto;
using static TorchSharp.torch;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Tests.Onnx;

public sealed class OnnxTensorConverterTests
{
    private static TensorProto Raw<T>(DataType type, T[] values, params long[] dims)
        where T : struct
    {
        var tensor = OnnxTestFiles.Tensor("t", type, dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }

    [Fact]
    public void Float32_from_raw_and_typed_fields()
    {
        float[] values = [1f, -2.5f, 3e-8f, float.MaxValue, 0f, -0f];
        using var fromRaw = OnnxTensorConverter.ToTensor(Raw(DataType.Float, values, 2, 3));
        var typed = OnnxTestFiles.Tensor("t", DataType.Float, 2, 3);
        typed.FloatData.Add(values);
        using var fromTyped = OnnxTensorConverter.ToTensor(typed);

        foreach (var t in new[] { fromRaw, fromTyped })
        {
            Assert.Equal(ScalarType.Float32, t.dtype);
            Assert.Equal(new long[] { 2, 3 }, t.shape);
            Assert.Equal(values, t.data<float>().ToArray());
        }
    }

    [Fact]
    public void Float64_Int64_Int32_from_raw_and_typed_fields()
    {
        double[] doubles = [Math.PI, -1e300, 0.1];
        var d = OnnxTestFiles.Tensor("t", DataType.Double, 3);
        d.DoubleData.Add(doubles);
        using (var t = OnnxTensorConverter.ToTensor(d))
        {
            Assert.Equal(ScalarType.Float64, t.dtype);
            Assert.Equal(doubles, t.data<double>().ToArray());
        }

        using (var t = OnnxTensorConverter.ToTensor(Raw(DataType.Double, doubles, 3, 1)))
        {
            Assert.Equal(new long[] { 3, 1 }, t.shape);
            Assert.Equal(doubles, t.data<double>().ToArray());
        }

        long[] longs = [long.MinValue, -1, 0, long.MaxValue];
        var l = OnnxTestFiles.Tensor("t", DataType.Int64, 2, 2);
        l.Int64Data.Add(longs);
        using (var t = OnnxTensorConverter.ToTensor(l))
        {
            Assert.Equal(ScalarType.Int64, t.dtype);
            Assert.Equal(longs, t.data<long>().ToArray());
        }

        using (var t = OnnxTensorConverter.ToTensor(Raw(DataType.Int64, longs, 4)))
        {
            Assert.Equal(longs, t.data<long>().ToArray());
        }

        int[] ints = [int.MinValue, 7, int.MaxValue];
        var i = OnnxTestFiles.Tensor("t", DataType.Int32, 3);
        i.Int32Data.Add(ints);
        using (var t = OnnxTensorConverter.ToTensor(i))
        {
            Assert.Equal(ScalarType.Int32, t.dtype);
            Assert.Equal(ints, t.data<int>().ToArray());
        }

        using (var t = OnnxTensorConverter.ToTensor(Raw(DataType.Int32, ints, 1, 3)))
        {
            Assert.Equal(ints, t.data<int>().ToArray());
        }
    }

    [Fact]
    public void Narrow_types_from_Int32_data()
    {
        var i8 = OnnxTestFiles.Tensor("t", DataType.Int8, 3);
        i8.Int32Data.Add([-128, 0, 127]);
        using (var t = OnnxTensorConverter.ToTensor(i8))
        {
            Assert.Equal(ScalarType.Int8, t.dtype);
            Assert.Equal(new sbyte[] { -128, 0, 127 }, t.data<sbyte>().ToArray());
        }

        var u8 = OnnxTestFiles.Tensor("t", DataType.Uint8, 2);
        u8.Int32Data.Add([0, 255]);
        using (var t = OnnxTensorConverter.ToTensor(u8))
        {
            Assert.Equal(new byte[] { 0, 255 }, t.data<byte>().ToArray());
        }

        var b = OnnxTestFiles.Tensor("t", DataType.Bool, 3);
        b.Int32Data.Add([1, 0, 1]);
        using (var t = OnnxTensorConverter.ToTensor(b))
        {
            Assert.Equal(new[] { true, false, true }, t.data<bool>().ToArray());
        }

        var h = OnnxTestFiles.Tensor("t", DataType.Float16, 2);
        h.Int32Data.Add([BitConverter.HalfToUInt16Bits((Half)1.5f), BitConverter.HalfToUInt16Bits((Half)(-2f))]);
        using (var t = OnnxTensorConverter.ToTensor(h))
        {
            Assert.Equal(ScalarType.Float16, t.dtype);
            Assert.Equal(new[] { 1.5f, -2f }, t.to_type(ScalarType.Float32).data<float>().ToArray());
        }

        var outOfRange = OnnxTestFiles.Tensor("t", DataType.Int8, 1);
        outOfRange.Int32Data.Add(300);
        Assert.Contains("outside the range", Assert.Throws<OnnxFormatException>(() => OnnxTensorConverter.ToTensor(outOfRange)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Scalars_and_empty_tensors_keep_their_shape()
    {
        var scalar = OnnxTestFiles.Tensor("s", DataType.Float);
        scalar.FloatData.Add(42f);
        using (var t = OnnxTensorConverter.ToTensor(scalar))
        {
            Assert.Empty(t.shape);
            Assert.Equal(42f, t.item<float>());
        }

        using (var t = OnnxTensorConverter.ToTensor(OnnxTestFiles.Tensor("e", DataType.Float, 0, 3)))
        {
            Assert.Equal(new long[] { 0, 3 }, t.shape);
        }
    }

    [Fact]
    public void Unsupported_element_types_are_named()
    {
        var s = OnnxTestFiles.Tensor("labels", DataType.String, 1);
        s.StringData.Add(ByteString.CopyFromUtf8("cat"));
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxTensorConverter.ToTensor(s));
        Assert.Contains("'labels'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("STRING", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FLOAT, DOUBLE", ex.Message, StringComparison.Ordinal);

        var u64 = Raw(DataType.Uint64, new ulong[] { 1 }, 1);
        Assert.Contains("UINT64", Assert.Throws<OnnxFormatException>(() => OnnxTensorConverter.ToTensor(u64)).Message,
            StringComparison.Ordinal);
    }
}
