using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using TLDsl.Runtime.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx;

/// <summary>
/// Turns ONNX <see cref="TensorProto"/>s into TorchSharp tensors: FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT64, INT32, INT16,
/// INT8, UINT8 and BOOL, from little-endian <c>raw_data</c>, the typed data fields, or external data. The dimensions and
/// the data size are checked before the tensor is allocated.
/// </summary>
public static class OnnxTensorConverter
{
    /// <summary>Converts <paramref name="tensor"/> to a new CPU tensor with its dims (the caller owns and disposes it).</summary>
    /// <param name="tensor">The ONNX tensor.</param>
    /// <param name="model">The model it belongs to: names the file in errors, anchors external data, supplies the limits.
    /// Without it, external data is rejected.</param>
    /// <exception cref="OnnxFormatException">The tensor is inconsistent, too large, external without a model, or of an
    /// element type TorchSharp cannot hold.</exception>
    public static Tensor ToTensor(TensorProto tensor, OnnxModel? model = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var filePath = model?.FilePath ?? "(in-memory ONNX tensor)";
        var options = model?.Options ?? OnnxReadOptions.Default;
        var what = $"tensor '{tensor.Name}'";
        var external = tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External;
        if (external && model is null)
        {
            throw new OnnxFormatException(filePath, $"{what} has external data; pass the model it belongs to");
        }

        OnnxModelValidator.ValidateTensor(tensor, filePath, options, what);

        var scalarType = OnnxDataTypes.ToScalarType(tensor.DataType) ?? throw new OnnxFormatException(filePath,
            $"{what} has element type {OnnxDataTypes.Name(tensor.DataType)}; supported: {OnnxDataTypes.SupportedNames}");
        var dims = tensor.Dims.ToArray();
        var count = OnnxModelValidator.ElementCount(dims, filePath, options, what);
        var elementSize = OnnxDataTypes.ElementSize(tensor.DataType)!.Value;
        var byteCount = count * elementSize;
        if (byteCount > Array.MaxLength)
        {
            throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                $"{what} holds {byteCount} bytes, more than TLDsl converts in one piece"));
        }

        byte[] littleEndian;
        if (external)
        {
            littleEndian = OnnxExternalData.ReadBytes(tensor, filePath, byteCount, what);
        }
        else if (tensor.HasRawData)
        {
            littleEndian = tensor.RawData.ToByteArray();
        }
        else
        {
            littleEndian = FromTypedField(tensor, count, elementSize, filePath, what);
        }

        return FromLittleEndianBytes(littleEndian, scalarType, dims, elementSize);
    }

    private static Tensor FromLittleEndianBytes(byte[] bytes, ScalarType scalarType, long[] dims, int elementSize)
    {
        if (!BitConverter.IsLittleEndian && elementSize > 1)
        {
            for (var i = 0; i < bytes.Length; i += elementSize)
            {
                Array.Reverse(bytes, i, elementSize);
            }
        }

        var result = torch.empty(dims, scalarType);
        if (bytes.Length > 0)
        {
            result.bytes = bytes;
        }

        return result;
    }

    private static byte[] FromTypedField(TensorProto tensor, long count, int elementSize, string filePath, string what)
    {
        var bytes = new byte[count * elementSize];
        var span = bytes.AsSpan();
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Float:
                for (var i = 0; i < tensor.FloatData.Count; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], tensor.FloatData[i]);
                }

                break;
            case TensorProto.Types.DataType.Double:
                for (var i = 0; i < tensor.DoubleData.Count; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], tensor.DoubleData[i]);
                }

                break;
            case TensorProto.Types.DataType.Int64:
                for (var i = 0; i < tensor.Int64Data.Count; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], tensor.Int64Data[i]);
                }

                break;
            case TensorProto.Types.DataType.Int32:
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], tensor.Int32Data[i]);
                }

                break;
            case TensorProto.Types.DataType.Int16:
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    BinaryPrimitives.WriteInt16LittleEndian(span[(i * 2)..],
                        checked((short)Narrow(tensor.Int32Data[i], short.MinValue, short.MaxValue, filePath, what)));
                }

                break;
            case TensorProto.Types.DataType.Float16:
            case TensorProto.Types.DataType.Bfloat16:
                // The 16-bit patterns are stored one per int32 value.
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(span[(i * 2)..],
                        checked((ushort)Narrow(tensor.Int32Data[i], 0, ushort.MaxValue, filePath, what)));
                }

                break;
            case TensorProto.Types.DataType.Int8:
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    bytes[i] = unchecked((byte)checked((sbyte)Narrow(tensor.Int32Data[i], sbyte.MinValue, sbyte.MaxValue, filePath, what)));
                }

                break;
            case TensorProto.Types.DataType.Uint8:
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    bytes[i] = checked((byte)Narrow(tensor.Int32Data[i], 0, byte.MaxValue, filePath, what));
                }

                break;
            case TensorProto.Types.DataType.Bool:
                for (var i = 0; i < tensor.Int32Data.Count; i++)
                {
                    bytes[i] = tensor.Int32Data[i] != 0 ? (byte)1 : (byte)0;
                }

                break;
            default:
                throw new OnnxFormatException(filePath,
                    $"{what} has element type {OnnxDataTypes.Name(tensor.DataType)}; supported: {OnnxDataTypes.SupportedNames}");
        }

        return bytes;
    }

    private static int Narrow(int value, int min, int max, string filePath, string what) =>
        value >= min && value <= max
            ? value
            : throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                $"{what} holds the value {value} in int32_data, outside the range [{min}, {max}] of its element type"));

    /// <summary>Copies a float32 TorchSharp tensor's values, for tests and diagnostics.</summary>
    internal static float[] ToFloatArray(Tensor tensor) =>
        MemoryMarshal.Cast<byte, float>(tensor.contiguous().bytes).ToArray();
}
