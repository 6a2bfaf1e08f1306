using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace TLDsl.Runtime.Tests.Fixtures;

/// <summary>Reads the little-endian float32/float64, C-order .npy files numpy's np.save writes (format 1.0–3.0).</summary>
internal static partial class NpyFile
{
    public static (long[] Shape, float[] Data) ReadFloat32(string path)
    {
        var (shape, descr, payload) = Read(path);
        Assert.Equal("<f4", descr);
        return (shape, MemoryMarshal.Cast<byte, float>(payload).ToArray());
    }

    public static (long[] Shape, double[] Data) ReadFloat64(string path)
    {
        var (shape, descr, payload) = Read(path);
        Assert.Equal("<f8", descr);
        return (shape, MemoryMarshal.Cast<byte, double>(payload).ToArray());
    }

    private static (long[] Shape, string Descr, byte[] Payload) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"{path}: not a .npy file");
        }

        int headerLength, headerStart;
        if (bytes[6] == 1)
        {
            headerLength = BitConverter.ToUInt16(bytes, 8);
            headerStart = 10;
        }
        else
        {
            headerLength = checked((int)BitConverter.ToUInt32(bytes, 8));
            headerStart = 12;
        }

        var header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header).Groups[1].Value;
        if (!header.Contains("'fortran_order': False", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: Fortran order is not supported");
        }

        var shapeText = ShapePattern().Match(header).Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var payload = bytes.AsSpan(headerStart + headerLength).ToArray();
        return (shape, descr, payload);
    }

    [GeneratedRegex(@"'descr':\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
