using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TLDsl.Runtime.IO;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>What <see cref="MappedWeightsCache.Load"/> did.</summary>
internal enum MappedWeightsCacheOutcome
{
    /// <summary>Read from a valid cache file; the source was not parsed.</summary>
    Hit,

    /// <summary>No cache file: mapped from the source and written.</summary>
    Written,

    /// <summary>The cache file was damaged or not ours: mapped from the source and written again.</summary>
    Rebuilt,

    /// <summary>Mapped from the source; nothing written (caching off, the folder not writable, or the source changed
    /// while it was mapped).</summary>
    NotCached,
}

/// <summary>A state dictionary and where it came from.</summary>
/// <param name="State">The tensors, owned by the caller.</param>
/// <param name="Outcome">Cache hit, written, rebuilt or not cached.</param>
/// <param name="CacheFile">The cache file for this source and mapping (whether or not it exists).</param>
internal sealed record MappedWeights(Dictionary<string, Tensor> State, MappedWeightsCacheOutcome Outcome, string? CacheFile);

/// <summary>
/// Keeps state dictionaries that are expensive to derive from their source file (the ImageNet ResNet-18: parse a 64 MB
/// ONNX protobuf, walk the graph, convert 110 initializers) as safetensors files in a per-user cache, so that later
/// processes read them directly.
/// </summary>
/// <remarks>
/// The file name holds the mapping's identity (with its version: change the mapping, bump it) and the source file's
/// SHA-256, so a changed source or mapping simply finds no file. The header's metadata repeats both and a SHA-256 of the
/// content (names, dtypes, shapes and bytes); a file that the strict safetensors reader refuses or whose metadata or
/// content hash disagrees is rebuilt, never trusted. Files are written to a unique temporary name and renamed into
/// place, so concurrent processes each see no file or a whole one, and the last rename wins with identical content.
/// </remarks>
internal static class MappedWeightsCache
{
    /// <summary>Overrides the cache folder; the value <c>off</c> turns the cache off.</summary>
    public const string EnvironmentVariable = "TLDSL_WEIGHTS_CACHE";

    /// <summary>The value of <see cref="EnvironmentVariable"/> that turns caching off.</summary>
    public const string Off = "off";

    private const string FormatName = "tldsl-mapped-weights/1";

    /// <summary>The cache folder (<see cref="EnvironmentVariable"/>, else the per-user cache), or null when caching is off
    /// or there is no home folder to put it in.</summary>
    public static string? Folder()
    {
        string? value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.Equals(value?.Trim(), Off, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        // Without a home folder the default would be relative to the current directory: no cache rather than litter.
        string folder = UserCacheFolder.Resolve("weights", EnvironmentVariable);
        return Path.IsPathRooted(folder) ? folder : null;
    }

    /// <summary>Returns the state dictionary that <paramref name="map"/> derives from <paramref name="sourcePath"/>, from
    /// the cache when a valid entry exists, else from <paramref name="map"/> (and then stored).</summary>
    /// <param name="sourcePath">The source file.</param>
    /// <param name="mappingId">The mapping's name and version (letters, digits, '.', '-', '_'); part of the key.</param>
    /// <param name="map">Derives the tensors from the source file; its exceptions propagate.</param>
    /// <param name="folder">The cache folder, or null for no caching.</param>
    public static MappedWeights Load(string sourcePath, string mappingId, Func<string, Dictionary<string, Tensor>> map, string? folder)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (mappingId.Length == 0 || !mappingId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            throw new ArgumentException($"mapping id '{mappingId}' must be letters, digits, '.', '-' or '_'.", nameof(mappingId));
        }
        if (folder is null)
        {
            return new MappedWeights(map(sourcePath), MappedWeightsCacheOutcome.NotCached, null);
        }

        string sourceHash = HashFile(sourcePath);
        string file = Path.Combine(folder, $"{mappingId}-{sourceHash}.safetensors");
        bool damaged = false;
        if (File.Exists(file))
        {
            if (TryRead(file, mappingId, sourceHash) is { } cached)
            {
                return new MappedWeights(cached, MappedWeightsCacheOutcome.Hit, file);
            }
            damaged = true;
        }

        var state = map(sourcePath);
        // A source replaced while it was mapped would store the new weights under the old hash.
        if (HashFile(sourcePath) != sourceHash)
        {
            return new MappedWeights(state, MappedWeightsCacheOutcome.NotCached, file);
        }
        try
        {
            AtomicFile.Write(file, stream => Write(stream, state, mappingId, sourceHash));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only or full cache costs the next run time, never this run its result.
            return new MappedWeights(state, MappedWeightsCacheOutcome.NotCached, file);
        }
        return new MappedWeights(state, damaged ? MappedWeightsCacheOutcome.Rebuilt : MappedWeightsCacheOutcome.Written, file);
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static Dictionary<string, Tensor>? TryRead(string file, string mappingId, string sourceHash)
    {
        Dictionary<string, Tensor> state;
        IReadOnlyDictionary<string, string> metadata;
        try
        {
            state = SafetensorsReader.Read(file, out metadata);
        }
        catch (Exception e) when (e is WeightsLoadException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        bool valid = metadata.GetValueOrDefault("format") == FormatName
            && metadata.GetValueOrDefault("mapping") == mappingId
            && metadata.GetValueOrDefault("source_sha256") == sourceHash
            && metadata.GetValueOrDefault("content_sha256") == ContentHash(state);
        if (valid)
        {
            return state;
        }
        foreach (var tensor in state.Values)
        {
            tensor.Dispose();
        }
        return null;
    }

    /// <summary>SHA-256 over every entry in name order: name, dtype, shape and bytes.</summary>
    private static string ContentHash(Dictionary<string, Tensor> state)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        foreach (var (name, tensor) in state.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            BinaryPrimitives.WriteInt64LittleEndian(number, (long)tensor.dtype);
            hash.AppendData(number);
            BinaryPrimitives.WriteInt64LittleEndian(number, tensor.dim());
            hash.AppendData(number);
            foreach (long size in tensor.shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(number, size);
                hash.AppendData(number);
            }
            Contiguous(tensor, t => hash.AppendData(t.bytes));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Contiguous(Tensor tensor, Action<Tensor> read)
    {
        if (tensor.is_contiguous())
        {
            read(tensor);
            return;
        }
        using var copy = tensor.contiguous();
        read(copy);
    }

    /// <summary>Writes <paramref name="state"/> as safetensors with the cache's metadata (entries in name order).</summary>
    private static void Write(Stream stream, Dictionary<string, Tensor> state, string mappingId, string sourceHash)
    {
        var entries = state.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", FormatName);
            json.WriteString("mapping", mappingId);
            json.WriteString("source_sha256", sourceHash);
            json.WriteString("content_sha256", ContentHash(state));
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                long size = tensor.numel() * SafetensorsReader.ElementSize(tensor.dtype);
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeName(name, tensor.dtype));
                json.WriteStartArray("shape");
                foreach (long dim in tensor.shape)
                {
                    json.WriteNumberValue(dim);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + size);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += size;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces so that the data starts 8-byte aligned.
        while (header.Length % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var (_, tensor) in entries)
        {
            Contiguous(tensor, t => stream.Write(t.bytes));
        }
    }

    private static string DTypeName(string name, ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"tensor '{name}' has dtype {type}, which the weights cache does not store."), nameof(type)),
    };
}
