using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>
/// Reads a safetensors file strictly, as the format's reference implementation validates it, and more:
/// <list type="bullet">
/// <item>the file holds the 8-byte little-endian header length N; N is at most 100,000,000 and 8 + N lies within the file;</item>
/// <item>the header starts with '{' and is one valid UTF-8 JSON object, with no key twice (at any level);</item>
/// <item><c>__metadata__</c>, when present, maps strings to strings;</item>
/// <item>every other entry is an object with exactly <c>dtype</c>, <c>shape</c> and <c>data_offsets</c>; the dtype is
/// one TorchSharp holds; the shape lists non-negative integers whose product (times the element size) does not
/// overflow; data_offsets are two non-negative integers begin &lt;= end within the data section, and end - begin is the
/// element size times the element count;</item>
/// <item>the ranges, in offset order, neither overlap nor leave gaps, and together cover the data section exactly (no
/// trailing bytes).</item>
/// </list>
/// The whole header is checked before any tensor is created; each violation is one <see cref="WeightsLoadException"/>
/// naming the file, the tensor and what is wrong.
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>The reference implementation's limit on the header length.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>Reads every tensor of <paramref name="path"/>; the caller owns them.</summary>
    /// <exception cref="WeightsLoadException">The file breaks one of the rules above.</exception>
    public static Dictionary<string, Tensor> Read(string path) => Read(path, out _);

    /// <summary>Reads every tensor of <paramref name="path"/> (the caller owns them) and the header's
    /// <c>__metadata__</c> (empty when absent).</summary>
    /// <exception cref="WeightsLoadException">The file breaks one of the rules above.</exception>
    public static Dictionary<string, Tensor> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Invalid(path, $"the file has {fileLength} bytes, fewer than the 8-byte header length");
        }
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw Invalid(path, $"the header length {headerLength} is over the format's limit of {MaxHeaderBytes} bytes");
        }
        if (8 + (long)headerLength > fileLength)
        {
            throw Invalid(path, $"the header length {headerLength} runs past the end of the file ({fileLength} bytes)");
        }
        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - 8 - (long)headerLength;

        var metadataEntries = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = ParseHeader(path, header, metadataEntries);
        metadata = metadataEntries;
        CheckLayout(path, entries, dataLength);

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            long dataStart = 8 + (long)headerLength;
            foreach (var entry in entries.OrderBy(e => e.Begin))
            {
                long size = entry.End - entry.Begin;
                if (size > Array.MaxLength)
                {
                    throw Invalid(path, $"tensor '{entry.Name}' has {size} bytes; tensors over {Array.MaxLength} bytes are not supported");
                }
                stream.Position = dataStart + entry.Begin;
                byte[] bytes = new byte[size];
                stream.ReadExactly(bytes);
                var tensor = empty(entry.Shape, entry.DType);
                result.Add(entry.Name, tensor);
                if (size > 0)
                {
                    tensor.bytes = bytes;
                }
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }
            throw;
        }
    }

    private static List<Entry> ParseHeader(string path, byte[] header, Dictionary<string, string> metadata)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
        {
            throw Invalid(path, "the header does not start with '{'; it must be a JSON object");
        }
        try
        {
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(path, "the header is not valid UTF-8");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"the header is not valid JSON ({e.Message})");
        }
        using (document)
        {
            var entries = new List<Entry>();
            foreach (var property in Properties(path, document.RootElement, "the header"))
            {
                if (property.Name == MetadataKey)
                {
                    ReadMetadata(path, property.Value, metadata);
                }
                else
                {
                    entries.Add(ParseEntry(path, property.Name, property.Value));
                }
            }
            return entries;
        }
    }

    /// <summary>The members of a JSON object, refusing a name given twice (JsonDocument keeps both silently).</summary>
    private static List<JsonProperty> Properties(string path, JsonElement element, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var properties = new List<JsonProperty>();
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw Invalid(path, $"{where} has the key '{property.Name}' twice");
            }
            properties.Add(property);
        }
        return properties;
    }

    private static void ReadMetadata(string path, JsonElement metadata, Dictionary<string, string> into)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, $"'{MetadataKey}' is a JSON {Kind(metadata)}; it must map strings to strings");
        }
        foreach (var property in Properties(path, metadata, $"'{MetadataKey}'"))
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw Invalid(path, $"'{MetadataKey}' entry '{property.Name}' is a JSON {Kind(property.Value)}; metadata values must be strings");
            }
            into[property.Name] = property.Value.GetString()!;
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, $"tensor '{name}' is a JSON {Kind(value)}, not an object with dtype, shape and data_offsets");
        }
        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (var property in Properties(path, value, $"tensor '{name}'"))
        {
            switch (property.Name)
            {
                case "dtype": dtype = property.Value; break;
                case "shape": shape = property.Value; break;
                case "data_offsets": offsets = property.Value; break;
                default: throw Invalid(path, $"tensor '{name}' has the unknown field '{property.Name}'; allowed: dtype, shape, data_offsets");
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            string missing = string.Join(", ", new[] { ("dtype", dtype), ("shape", shape), ("data_offsets", offsets) }
                .Where(f => f.Item2 is null).Select(f => f.Item1));
            throw Invalid(path, $"tensor '{name}' lacks {missing}");
        }

        var type = ParseDType(path, name, dtype.Value);
        long[] dims = Integers(path, name, "shape", shape.Value);
        long[] range = Integers(path, name, "data_offsets", offsets.Value);
        if (range.Length != 2)
        {
            throw Invalid(path, $"tensor '{name}' has {range.Length} data_offsets; it needs two, [begin, end]");
        }
        if (range[0] > range[1])
        {
            throw Invalid(path, $"tensor '{name}' has data_offsets [{range[0]}, {range[1]}]: begin is after end");
        }
        long bytes;
        try
        {
            long count = 1;
            foreach (long d in dims)
            {
                count = checked(count * d);
            }
            bytes = checked(count * ElementSize(type));
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"tensor '{name}' has shape [{string.Join(", ", dims)}], whose size overflows");
        }
        if (range[1] - range[0] != bytes)
        {
            throw Invalid(path, string.Create(CultureInfo.InvariantCulture,
                $"tensor '{name}' has data_offsets [{range[0]}, {range[1]}] ({range[1] - range[0]} bytes), but its dtype and shape [{string.Join(", ", dims)}] need {bytes} bytes"));
        }
        return new Entry(name, type, dims, range[0], range[1]);
    }

    private static long[] Integers(string path, string name, string field, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(path, $"tensor '{name}' has a {field} that is a JSON {Kind(value)}, not a list of integers");
        }
        var result = new List<long>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long n) || n < 0)
            {
                throw Invalid(path, $"tensor '{name}' has {field} {value.GetRawText()}; each must be a non-negative integer");
            }
            result.Add(n);
        }
        return result.ToArray();
    }

    /// <summary>The safetensors dtypes TorchSharp has a tensor type for.</summary>
    private const string AllowedDTypes = "BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64";

    private static ScalarType ParseDType(string path, string name, JsonElement dtype) =>
        (dtype.ValueKind == JsonValueKind.String ? dtype.GetString() : null) switch
        {
            "BOOL" => ScalarType.Bool,
            "U8" => ScalarType.Byte,
            "I8" => ScalarType.Int8,
            "I16" => ScalarType.Int16,
            "I32" => ScalarType.Int32,
            "I64" => ScalarType.Int64,
            "F16" => ScalarType.Float16,
            "BF16" => ScalarType.BFloat16,
            "F32" => ScalarType.Float32,
            "F64" => ScalarType.Float64,
            _ => throw Invalid(path, $"tensor '{name}' has dtype {dtype.GetRawText()}; allowed: {AllowedDTypes}"),
        };

    /// <summary>Bytes per element of the types <see cref="ParseDType"/> returns.</summary>
    internal static long ElementSize(ScalarType type) => type switch
    {
        ScalarType.Bool or ScalarType.Byte or ScalarType.Int8 => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no element size known"),
    };

    /// <summary>In offset order, each range must start where the previous ended, and the last end the data section.</summary>
    private static void CheckLayout(string path, List<Entry> entries, long dataLength)
    {
        long expected = 0;
        Entry? previous = null;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.End > dataLength)
            {
                throw Invalid(path, $"tensor '{entry.Name}' has data_offsets [{entry.Begin}, {entry.End}], past the end of the {dataLength}-byte data section");
            }
            if (entry.Begin < expected)
            {
                throw Invalid(path, $"tensor '{entry.Name}' has data_offsets [{entry.Begin}, {entry.End}], overlapping tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            }
            if (entry.Begin > expected)
            {
                throw Invalid(path, $"bytes [{expected}, {entry.Begin}) of the data section belong to no tensor (before tensor '{entry.Name}')");
            }
            expected = entry.End;
            previous = entry;
        }
        if (expected != dataLength)
        {
            throw Invalid(path, $"the data section has {dataLength} bytes, but the tensors cover only the first {expected}");
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static WeightsLoadException Invalid(string path, string detail) =>
        new($"{path}: not a valid safetensors file: {detail}.");
}
