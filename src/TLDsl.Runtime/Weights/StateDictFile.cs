using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
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
                WeightsFormat.PyTorch => PyTorchZipReader.Read(path),
                WeightsFormat.Safetensors => SafetensorsReader.Read(path),
                WeightsFormat.TorchSharp => TorchSharpDatReader.Read(path),
                _ => throw new ArgumentOutOfRangeException(nameof(path), format, "unknown weights format"),
            };
        }
        catch (WeightsLoadException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The readers name what they check; the file system or the zip library can still fail (I/O, damaged entries).
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

    private static string Describe(WeightsFormat format) => format switch
    {
        WeightsFormat.PyTorch => "PyTorch state dict (.pth/.pt zip)",
        WeightsFormat.Safetensors => "safetensors",
        WeightsFormat.TorchSharp => "TorchSharp .dat",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown weights format"),
    };

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
