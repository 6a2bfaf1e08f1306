using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>Reads a whole state dict from a file into memory, never into a module: a file that fails half way
/// leaves every model untouched.</summary>
public static class StateDictFile
{
    /// <summary>Reads <paramref name="path"/> (format by extension) after checking its SHA-256 pin, if any.</summary>
    /// <param name="path">A .pth/.pt, .safetensors or .dat file.</param>
    /// <param name="sha256">The expected SHA-256 in hex; checked before anything is parsed.</param>
    /// <exception cref="WeightsLoadException">Missing file, wrong hash, unknown extension, or unreadable content.</exception>
    public static Dictionary<string, Tensor> Read(string path, string? sha256 = null)
    {
        if (!File.Exists(path))
        {
            throw new WeightsLoadException($"{path}: weights file not found.");
        }
        var format = WeightsFormats.FromPath(path)
            ?? throw new WeightsLoadException($"{path}: unknown weights format '{Path.GetExtension(path)}'; allowed: {WeightsFormats.Allowed}.");
        if (sha256 is not null)
        {
            VerifySha256(path, sha256);
        }
        try
        {
            return format switch
            {
                WeightsFormat.PyTorch => FromHashtable(path, PyTorchUnpickler.UnpickleStateDict(path)),
                WeightsFormat.Safetensors => SafetensorsReader.Read(path),
                _ => ReadTorchSharp(path),
            };
        }
        catch (WeightsLoadException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The readers throw many types on malformed input (EndOfStream, InvalidData, NotSupported, zip errors...).
            throw new WeightsLoadException($"{path}: not a valid {Describe(format)} file ({e.GetType().Name}: {FirstLine(e.Message)}).", e);
        }
    }

    /// <summary>Hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void VerifySha256(string path, string expected)
    {
        string actual = Sha256(path);
        if (!string.Equals(actual, expected.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new WeightsLoadException($"{path}: SHA-256 is {actual}, but the pipeline pins {expected}; the file was not loaded.");
        }
    }

    private static Dictionary<string, Tensor> FromHashtable(string path, Hashtable table)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor tensor)
            {
                throw new WeightsLoadException($"{path}: entry '{entry.Key}' is not a tensor; a state dict (name -> tensor) is expected, not a whole pickled model or checkpoint.");
            }
            result[key] = tensor;
        }
        return result;
    }

    // TorchSharp's Module.save: LEB128 entry count, then per entry a BinaryWriter string key and a tensor.
    private static Dictionary<string, Tensor> ReadTorchSharp(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        long count = DecodeLeb128(reader);
        if (count < 0 || count > 1_000_000)
        {
            throw new WeightsLoadException($"{path}: implausible entry count {count}; not a TorchSharp .dat state dict.");
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            string key = reader.ReadString();
            result[key] = TensorExtensionMethods.Load(reader, skip: false);
        }
        if (stream.Position != stream.Length)
        {
            throw new WeightsLoadException($"{path}: {stream.Length - stream.Position} bytes follow the last entry; the file is not a TorchSharp state dict.");
        }
        return result;
    }

    private static long DecodeLeb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new InvalidDataException("entry count is not a valid LEB128 number");
    }

    private static string Describe(WeightsFormat format) => format switch
    {
        WeightsFormat.PyTorch => "PyTorch state dict (.pth/.pt zip)",
        WeightsFormat.Safetensors => "safetensors",
        _ => "TorchSharp .dat",
    };

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
