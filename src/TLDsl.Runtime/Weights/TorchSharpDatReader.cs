using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>
/// Reads TorchSharp's <c>Module.save</c> format (<c>.dat</c>: an LEB128 entry count, then per entry a length-prefixed
/// UTF-8 name, an LEB128 dtype code, rank and dimensions, and the raw little-endian data) strictly:
/// <list type="bullet">
/// <item>every LEB128 number is well formed and fits a 63-bit integer;</item>
/// <item>the entry count is one the rest of the file can hold;</item>
/// <item>each name is non-empty, at most 64 KiB of valid UTF-8 within the file, and not given twice;</item>
/// <item>each dtype code is one TorchSharp writes; the rank is at most 64; the element count times the element size does
/// not overflow and fits in the bytes left;</item>
/// <item>nothing follows the last entry.</item>
/// </list>
/// Each violation is one <see cref="WeightsLoadException"/> naming the file, the entry and what is wrong; tensors read
/// before it are disposed.
/// </summary>
internal static class TorchSharpDatReader
{
    private const int MaxRank = 64;

    private const int MaxNameBytes = 65_536;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads every tensor of <paramref name="path"/>; the caller owns them.</summary>
    /// <exception cref="WeightsLoadException">The file breaks one of the rules above.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using var reader = new BinaryReader(stream);
        long Left() => stream.Length - stream.Position;

        long count = Leb128(path, reader, "the entry count");
        // The smallest entry is a one-byte name length, one name byte, a dtype byte and a rank byte.
        if (count > Left() / 4)
        {
            throw Invalid(path, $"it claims {count} entries, more than its {stream.Length} bytes can hold");
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            for (long i = 0; i < count; i++)
            {
                string where = $"entry {i + 1} of {count}";
                long nameLength = Leb128(path, reader, $"the name length of {where}");
                if (nameLength == 0)
                {
                    throw Invalid(path, $"{where} has an empty name");
                }
                if (nameLength > Math.Min(Left(), MaxNameBytes))
                {
                    throw Invalid(path, nameLength > MaxNameBytes
                        ? $"the name of {where} would have {nameLength} bytes; at most {MaxNameBytes} are allowed"
                        : $"the name of {where} ({nameLength} bytes) runs past the end of the file");
                }
                string name;
                try
                {
                    name = StrictUtf8.GetString(reader.ReadBytes((int)nameLength));
                }
                catch (DecoderFallbackException)
                {
                    throw Invalid(path, $"the name of {where} is not valid UTF-8");
                }
                if (result.ContainsKey(name))
                {
                    throw Invalid(path, $"'{name}' is in the file twice");
                }
                result.Add(name, ReadTensor(path, reader, name, Left));
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }
            throw;
        }
        if (Left() != 0)
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }
            throw Invalid(path, $"{Left()} bytes follow the last entry");
        }
        return result;
    }

    private static Tensor ReadTensor(string path, BinaryReader reader, string name, Func<long> left)
    {
        long code = Leb128(path, reader, $"the dtype of '{name}'");
        var type = DType(code) ?? throw Invalid(path, $"'{name}' has the unknown dtype code {code}");
        long rank = Leb128(path, reader, $"the rank of '{name}'");
        if (rank > MaxRank)
        {
            throw Invalid(path, $"'{name}' has rank {rank}; at most {MaxRank} is allowed");
        }
        long[] shape = new long[rank];
        long bytes = SafetensorsReader.ElementSize(type);
        for (int d = 0; d < rank; d++)
        {
            shape[d] = Leb128(path, reader, $"dimension {d} of '{name}'");
            try
            {
                bytes = checked(bytes * shape[d]);
            }
            catch (OverflowException)
            {
                throw Invalid(path, $"'{name}' has a shape whose size overflows");
            }
        }
        if (bytes > left())
        {
            throw Invalid(path, $"'{name}' {type} [{string.Join(", ", shape)}] needs {bytes} bytes, but only {left()} are left: the file is truncated");
        }
        if (bytes > Array.MaxLength)
        {
            throw Invalid(path, $"'{name}' has {bytes} bytes; tensors over {Array.MaxLength} bytes are not supported");
        }
        byte[] data = reader.ReadBytes((int)bytes);
        var tensor = empty(shape, type);
        if (bytes > 0)
        {
            tensor.bytes = data;
        }
        return tensor;
    }

    /// <summary>The dtype for a code TorchSharp's <c>Tensor.Save</c> writes (its ScalarType numbering).</summary>
    private static ScalarType? DType(long code) => code switch
    {
        (long)ScalarType.Byte => ScalarType.Byte,
        (long)ScalarType.Int8 => ScalarType.Int8,
        (long)ScalarType.Int16 => ScalarType.Int16,
        (long)ScalarType.Int32 => ScalarType.Int32,
        (long)ScalarType.Int64 => ScalarType.Int64,
        (long)ScalarType.Float16 => ScalarType.Float16,
        (long)ScalarType.Float32 => ScalarType.Float32,
        (long)ScalarType.Float64 => ScalarType.Float64,
        (long)ScalarType.ComplexFloat32 => ScalarType.ComplexFloat32,
        (long)ScalarType.ComplexFloat64 => ScalarType.ComplexFloat64,
        (long)ScalarType.Bool => ScalarType.Bool,
        (long)ScalarType.BFloat16 => ScalarType.BFloat16,
        _ => null,
    };

    /// <summary>An unsigned LEB128 number of at most 63 bits (TorchSharp never writes negative ones).</summary>
    private static long Leb128(string path, BinaryReader reader, string what)
    {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            if (reader.BaseStream.Position >= reader.BaseStream.Length)
            {
                throw Invalid(path, $"the file ends inside {what}: it is truncated");
            }
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw Invalid(path, $"{what} is not an LEB128 number below 2^63");
    }

    private static WeightsLoadException Invalid(string path, string detail) =>
        new($"{path}: not a valid TorchSharp .dat file: {detail}.");
}
