using System;
using TLDsl.Runtime.Onnx.Proto;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx;

/// <summary>Facts about ONNX element types: names, byte sizes, the typed field that holds them, TorchSharp equivalents.</summary>
public static class OnnxDataTypes
{
    /// <summary>The ONNX name of an element type number (e.g. 1 → "FLOAT"), or "type 42" when unknown.</summary>
    /// <param name="dataType">A <see cref="TensorProto.Types.DataType"/> value.</param>
    public static string Name(int dataType) =>
        Enum.IsDefined((TensorProto.Types.DataType)dataType)
            ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant()
            : $"type {dataType}";

    /// <summary>
    /// The number of bytes <paramref name="elementCount"/> elements occupy in <c>raw_data</c>, or null when the type
    /// has no fixed-size encoding (strings, undefined or unknown types).
    /// </summary>
    /// <param name="dataType">A <see cref="TensorProto.Types.DataType"/> value.</param>
    /// <param name="elementCount">The tensor's element count (non-negative, already range-checked).</param>
    public static long? RawByteCount(int dataType, long elementCount) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Uint4 or TensorProto.Types.DataType.Int4 or TensorProto.Types.DataType.Float4E2M1
            => (elementCount + 1) / 2,
        _ => ElementSize(dataType) is int size ? checked(elementCount * size) : null,
    };

    /// <summary>The size in bytes of one element in <c>raw_data</c>, or null for strings, sub-byte and unknown types.</summary>
    /// <param name="dataType">A <see cref="TensorProto.Types.DataType"/> value.</param>
    public static int? ElementSize(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float => 4,
        TensorProto.Types.DataType.Uint8 => 1,
        TensorProto.Types.DataType.Int8 => 1,
        TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int16 => 2,
        TensorProto.Types.DataType.Int32 => 4,
        TensorProto.Types.DataType.Int64 => 8,
        TensorProto.Types.DataType.Bool => 1,
        TensorProto.Types.DataType.Float16 => 2,
        TensorProto.Types.DataType.Double => 8,
        TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Uint64 => 8,
        TensorProto.Types.DataType.Complex64 => 8,
        TensorProto.Types.DataType.Complex128 => 16,
        TensorProto.Types.DataType.Bfloat16 => 2,
        TensorProto.Types.DataType.Float8E4M3Fn => 1,
        TensorProto.Types.DataType.Float8E4M3Fnuz => 1,
        TensorProto.Types.DataType.Float8E5M2 => 1,
        TensorProto.Types.DataType.Float8E5M2Fnuz => 1,
        _ => null,
    };

    /// <summary>
    /// The TorchSharp element type for an ONNX element type, or null when TLDsl cannot represent it
    /// (strings, unsigned 16/32/64-bit, complex, 8-bit and 4-bit floats, packed 4-bit integers).
    /// </summary>
    /// <param name="dataType">A <see cref="TensorProto.Types.DataType"/> value.</param>
    public static ScalarType? ToScalarType(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float => ScalarType.Float32,
        TensorProto.Types.DataType.Double => ScalarType.Float64,
        TensorProto.Types.DataType.Float16 => ScalarType.Float16,
        TensorProto.Types.DataType.Bfloat16 => ScalarType.BFloat16,
        TensorProto.Types.DataType.Int64 => ScalarType.Int64,
        TensorProto.Types.DataType.Int32 => ScalarType.Int32,
        TensorProto.Types.DataType.Int16 => ScalarType.Int16,
        TensorProto.Types.DataType.Int8 => ScalarType.Int8,
        TensorProto.Types.DataType.Uint8 => ScalarType.Byte,
        TensorProto.Types.DataType.Bool => ScalarType.Bool,
        _ => null,
    };

    /// <summary>The element types <see cref="OnnxTensorConverter"/> converts, for error messages.</summary>
    public static string SupportedNames => "FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT64, INT32, INT16, INT8, UINT8, BOOL";
}
