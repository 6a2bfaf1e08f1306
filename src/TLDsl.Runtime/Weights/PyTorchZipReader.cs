using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>
/// Reads a PyTorch state dict saved by <c>torch.save</c> (the zip format of PyTorch 1.6 and later) strictly:
/// <list type="bullet">
/// <item>the file is a zip archive whose entries all lie in one top-level folder, each name once, with one
/// <c>data.pkl</c>; a <c>byteorder</c> entry, when present, says <c>little</c>;</item>
/// <item>data.pkl runs on a closed set of pickle opcodes and globals (<see cref="StateDictPickle"/>): any other global
/// (a whole pickled model, arbitrary code) is refused by name, nothing is ever called; no dict has a key twice; the
/// result is a dict of name → tensor;</item>
/// <item>each storage has a known type, is described the same way wherever it is used, and has its <c>data/&lt;key&gt;</c>
/// entry holding exactly element count × element size bytes;</item>
/// <item>each tensor has non-negative sizes, as many non-negative strides as sizes, a non-negative storage offset, and
/// reads only elements inside its storage (offset + Σ (size − 1) × stride &lt; count, without overflow).</item>
/// </list>
/// Everything but the storage bytes is checked before any tensor is created; each violation is one
/// <see cref="WeightsLoadException"/> naming the file, the entry and what is wrong. Tensors sharing a storage get their
/// own copies.
/// </summary>
internal static class PyTorchZipReader
{
    private const int MaxPickleBytes = 256 << 20;

    /// <summary>Reads every tensor of <paramref name="path"/>; the caller owns them.</summary>
    /// <exception cref="WeightsLoadException">The file breaks one of the rules above.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> signature = stackalloc byte[4];
        if (stream.ReadAtLeast(signature, 4, throwOnEndOfStream: false) < 4 || !signature.SequenceEqual("PK\u0003\u0004"u8))
        {
            throw Invalid(path, "it is not a zip archive; a file saved by torch.save before PyTorch 1.6 (or with _use_new_zipfile_serialization=False) must be saved again with the default format");
        }
        stream.Position = 0;
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(path, $"its zip structure is damaged ({e.Message})");
        }
        using (archive)
        {
            var entries = Entries(path, archive, out string prefix);
            if (entries.TryGetValue(prefix + "byteorder", out var order)
                && System.Text.Encoding.ASCII.GetString(ReadAll(path, order, 16)) is var byteOrder && byteOrder != "little")
            {
                throw Invalid(path, $"its byteorder entry says '{byteOrder}'; only little-endian files are read");
            }
            var pickle = entries.TryGetValue(prefix + "data.pkl", out var pkl)
                ? ReadAll(path, pkl, MaxPickleBytes)
                : throw Invalid(path, $"the archive has no {prefix}data.pkl");
            var tensors = StateDictPickle.Read(pickle, detail => Invalid(path, detail));
            var storages = Storages(path, entries, prefix, tensors);
            foreach (var (name, tensor) in tensors)
            {
                CheckGeometry(path, name, tensor);
            }
            return Materialize(path, entries, prefix, tensors, storages);
        }
    }

    /// <summary>Entries by full name; all under one top-level folder (returned with its '/').</summary>
    private static Dictionary<string, ZipArchiveEntry> Entries(string path, ZipArchive archive, out string prefix)
    {
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        string? folder = null;
        foreach (var entry in archive.Entries)
        {
            int slash = entry.FullName.IndexOf('/', StringComparison.Ordinal);
            string top = slash > 0 ? entry.FullName[..(slash + 1)] : "";
            folder ??= top;
            if (top.Length == 0 || top != folder)
            {
                throw Invalid(path, $"the archive entry '{entry.FullName}' is not in the folder '{folder}' that a torch.save archive keeps everything in");
            }
            if (!entries.TryAdd(entry.FullName, entry))
            {
                throw Invalid(path, $"the archive holds '{entry.FullName}' twice");
            }
        }
        prefix = folder ?? throw Invalid(path, "the archive is empty");
        return entries;
    }

    /// <summary>The storages the tensors use, each with its entry's size checked against the pickle's element count.</summary>
    private static List<PickledStorage> Storages(string path, Dictionary<string, ZipArchiveEntry> entries, string prefix,
        List<KeyValuePair<string, PickledTensor>> tensors)
    {
        var storages = tensors.Select(t => t.Value.Storage).Distinct().ToList();
        foreach (var storage in storages)
        {
            string name = $"{prefix}data/{storage.Key}";
            if (!entries.TryGetValue(name, out var entry))
            {
                throw Invalid(path, $"storage '{storage.Key}' (used by '{Users(tensors, storage)}') has no archive entry {name}");
            }
            long expected;
            try
            {
                expected = checked(storage.Count * SafetensorsReader.ElementSize(storage.DType));
            }
            catch (OverflowException)
            {
                throw Invalid(path, $"storage '{storage.Key}' claims {storage.Count} elements, whose size overflows");
            }
            if (entry.Length != expected)
            {
                throw Invalid(path, $"storage '{storage.Key}' (used by '{Users(tensors, storage)}') holds {entry.Length} bytes, but data.pkl gives it {storage.Count} {storage.DType} elements ({expected} bytes)");
            }
        }
        return storages;
    }

    private static string Users(List<KeyValuePair<string, PickledTensor>> tensors, PickledStorage storage) =>
        string.Join("', '", tensors.Where(t => t.Value.Storage == storage).Select(t => t.Key).Take(3));

    private static void CheckGeometry(string path, string name, PickledTensor tensor)
    {
        string shape = $"size [{string.Join(", ", tensor.Shape)}], stride [{string.Join(", ", tensor.Stride)}], offset {tensor.Offset}";
        if (tensor.Shape.Length != tensor.Stride.Length)
        {
            throw Invalid(path, $"tensor '{name}' has {shape}: as many strides as sizes are needed");
        }
        if (tensor.Shape.Any(s => s < 0) || tensor.Stride.Any(s => s < 0) || tensor.Offset < 0)
        {
            throw Invalid(path, $"tensor '{name}' has {shape}: sizes, strides and offset must not be negative");
        }
        if (tensor.Shape.Contains(0))
        {
            return; // no element is read
        }
        try
        {
            long last = tensor.Offset;
            for (int d = 0; d < tensor.Shape.Length; d++)
            {
                last = checked(last + ((tensor.Shape[d] - 1) * tensor.Stride[d]));
            }
            if (last < tensor.Storage.Count)
            {
                return;
            }
            throw Invalid(path, $"tensor '{name}' has {shape}, reading up to element {last} of storage '{tensor.Storage.Key}', which holds {tensor.Storage.Count}");
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"tensor '{name}' has {shape}, whose extent overflows");
        }
    }

    private static Dictionary<string, Tensor> Materialize(string path, Dictionary<string, ZipArchiveEntry> entries, string prefix,
        List<KeyValuePair<string, PickledTensor>> tensors, List<PickledStorage> storages)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var storage in storages)
            {
                byte[] bytes = ReadAll(path, entries[$"{prefix}data/{storage.Key}"], Array.MaxLength);
                using var data = empty(storage.Count, storage.DType);
                if (bytes.Length > 0)
                {
                    data.bytes = bytes;
                }
                foreach (var (name, tensor) in tensors.Where(t => t.Value.Storage == storage))
                {
                    var copy = empty(tensor.Shape, storage.DType);
                    result.Add(name, copy);
                    if (!tensor.Shape.Contains(0))
                    {
                        using var view = data.as_strided(tensor.Shape, tensor.Stride, tensor.Offset);
                        copy.copy_(view);
                    }
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

    /// <summary>An entry's bytes: exactly its declared length, which must not exceed <paramref name="limit"/>.</summary>
    private static byte[] ReadAll(string path, ZipArchiveEntry entry, long limit)
    {
        if (entry.Length > limit)
        {
            throw Invalid(path, $"the archive entry {entry.FullName} has {entry.Length} bytes; at most {limit} are read");
        }
        byte[] bytes = new byte[entry.Length];
        using var stream = entry.Open();
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) != bytes.Length || stream.ReadByte() != -1)
        {
            throw Invalid(path, $"the archive entry {entry.FullName} does not hold the {entry.Length} bytes its header declares");
        }
        return bytes;
    }

    private static WeightsLoadException Invalid(string path, string detail) =>
        new($"{path}: not a valid PyTorch state dict (.pth/.pt zip) file: {detail}.");
}
