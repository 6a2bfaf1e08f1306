using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>NumPy's .npy/.npz formats (version 1.0, little-endian), written so that a PyTorch program can read tensors
/// with nothing but numpy (Debian's Python has no safetensors).</summary>
internal static class Npy
{
    /// <summary>Writes each tensor as <c>name.npy</c> into an uncompressed .npz archive; returns how many.</summary>
    public static int WriteNpz(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        int count = 0;
        foreach (var (name, t) in tensors)
        {
            using var stream = zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression).Open();
            Write(stream, t);
            count++;
        }
        return count;
    }

    private static void Write(Stream stream, Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        (string descr, byte[] bytes) = c.dtype switch
        {
            ScalarType.Float32 => ("<f4", MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()).ToArray()),
            ScalarType.Int64 => ("<i8", MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()).ToArray()),
            _ => throw new NotSupportedException($"no .npy writer for {c.dtype}"),
        };
        string shape = c.shape.Length switch
        {
            0 => "()",
            1 => $"({c.shape[0]},)",
            _ => "(" + string.Join(", ", c.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Magic (6) + version (2) + header length (2) + header + '\n', padded with spaces to a multiple of 64.
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(bytes);
    }
}
