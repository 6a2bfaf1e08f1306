using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace TLDsl.Runtime.Tests.Data;

/// <summary>Writes small PNG, BMP, JPEG and IDX files for the tests, with no image library (so the decoder under test
/// is checked against independent encoders). Pixels are interleaved HWC bytes.</summary>
internal static class ImageFiles
{
    public static void WritePng(string path, byte[] pixels, int width, int height, int channels)
    {
        var colorType = channels switch { 1 => 0, 2 => 4, 3 => 2, 4 => 6, _ => throw new ArgumentOutOfRangeException(nameof(channels)) };
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = (byte)colorType;
        Chunk(file, "IHDR", header);
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            var stride = width * channels;
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0);
                zlib.Write(pixels, y * stride, stride);
            }
        }

        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);
    }

    /// <summary>A gray PNG of one value, written a row at a time: a 20000x20000 image is a few hundred KB on disk.
    /// <paramref name="idatBytes"/> keeps only that many bytes of the compressed data (a header that promises more
    /// pixels than the file holds).</summary>
    public static void WriteSolidGrayPng(string path, int width, int height, byte value, int? idatBytes = null)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        Chunk(file, "IHDR", header);
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[width + 1];
            Array.Fill(row, value, 1, width);
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        var data = raw.ToArray();
        Chunk(file, "IDAT", idatBytes is { } keep ? data[..keep] : data);
        Chunk(file, "IEND", []);
    }

    /// <summary>24-bit uncompressed BMP (bottom-up, BGR, rows padded to 4 bytes) from RGB or gray pixels.</summary>
    public static void WriteBmp(string path, byte[] pixels, int width, int height, int channels)
    {
        var stride = ((width * 3) + 3) & ~3;
        var data = new byte[54 + (stride * height)];
        data[0] = (byte)'B';
        data[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(2), data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(34), stride * height);
        for (var y = 0; y < height; y++)
        {
            var row = 54 + ((height - 1 - y) * stride);
            for (var x = 0; x < width; x++)
            {
                var p = ((y * width) + x) * channels;
                var (r, g, b) = channels == 1 ? (pixels[p], pixels[p], pixels[p]) : (pixels[p], pixels[p + 1], pixels[p + 2]);
                data[row + (x * 3)] = b;
                data[row + (x * 3) + 1] = g;
                data[row + (x * 3) + 2] = r;
            }
        }

        File.WriteAllBytes(path, data);
    }

    /// <summary>A baseline JPEG (1 or 3 components, no subsampling, every quantiser 2, one custom Huffman table pair
    /// in which every symbol has a fixed-length code). Lossy: decoded pixels are within a few levels.</summary>
    public static void WriteJpeg(string path, byte[] pixels, int width, int height, int channels)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels));
        }

        const int Quant = 2;
        var planes = new float[channels][];
        for (var c = 0; c < channels; c++)
        {
            planes[c] = new float[width * height];
        }

        for (var i = 0; i < width * height; i++)
        {
            if (channels == 1)
            {
                planes[0][i] = pixels[i];
                continue;
            }

            float r = pixels[i * 3], g = pixels[(i * 3) + 1], b = pixels[(i * 3) + 2];
            planes[0][i] = (0.299f * r) + (0.587f * g) + (0.114f * b);
            planes[1][i] = (-0.168736f * r) - (0.331264f * g) + (0.5f * b) + 128;
            planes[2][i] = (0.5f * r) - (0.418688f * g) - (0.081312f * b) + 128;
        }

        var zigzag = ZigZag();
        using var file = new MemoryStream();
        void Marker(int code, byte[] body)
        {
            file.WriteByte(0xFF);
            file.WriteByte((byte)code);
            file.WriteByte((byte)((body.Length + 2) >> 8));
            file.WriteByte((byte)(body.Length + 2));
            file.Write(body);
        }

        file.Write([0xFF, 0xD8]);
        Marker(0xE0, [.. Encoding.ASCII.GetBytes("JFIF\0"), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        var dqt = new byte[65];
        Array.Fill(dqt, (byte)Quant, 1, 64);
        Marker(0xDB, dqt);
        var sof = new byte[6 + (3 * channels)];
        sof[0] = 8;
        sof[1] = (byte)(height >> 8);
        sof[2] = (byte)height;
        sof[3] = (byte)(width >> 8);
        sof[4] = (byte)width;
        sof[5] = (byte)channels;
        for (var c = 0; c < channels; c++)
        {
            sof[6 + (3 * c)] = (byte)(c + 1);
            sof[7 + (3 * c)] = 0x11;
            sof[8 + (3 * c)] = 0;
        }

        Marker(0xC0, sof);

        // DC: sizes 0..11, all 4-bit codes. AC: EOB, ZRL and every (run, size 1..10), all 8-bit codes.
        var dcSymbols = new byte[12];
        for (var i = 0; i < 12; i++)
        {
            dcSymbols[i] = (byte)i;
        }

        var acSymbols = new byte[162];
        acSymbols[0] = 0x00;
        acSymbols[1] = 0xF0;
        var n = 2;
        for (var run = 0; run < 16; run++)
        {
            for (var size = 1; size <= 10; size++)
            {
                acSymbols[n++] = (byte)((run << 4) | size);
            }
        }

        var dht = new byte[1 + 16 + 12 + 1 + 16 + 162];
        dht[0] = 0x00;
        dht[1 + 3] = 12;
        dcSymbols.CopyTo(dht, 17);
        dht[29] = 0x10;
        dht[30 + 7] = 162;
        acSymbols.CopyTo(dht, 46);
        Marker(0xC4, dht);
        var sos = new byte[4 + (2 * channels)];
        sos[0] = (byte)channels;
        for (var c = 0; c < channels; c++)
        {
            sos[1 + (2 * c)] = (byte)(c + 1);
            sos[2 + (2 * c)] = 0x00;
        }

        sos[^3] = 0;
        sos[^2] = 63;
        sos[^1] = 0;
        Marker(0xDA, sos);

        var bits = new BitWriter(file);
        var previousDc = new int[channels];
        var block = new float[64];
        var coefficients = new int[64];
        for (var by = 0; by < height; by += 8)
        {
            for (var bx = 0; bx < width; bx += 8)
            {
                for (var c = 0; c < channels; c++)
                {
                    for (var y = 0; y < 8; y++)
                    {
                        for (var x = 0; x < 8; x++)
                        {
                            var sy = Math.Min(by + y, height - 1);
                            var sx = Math.Min(bx + x, width - 1);
                            block[(y * 8) + x] = planes[c][(sy * width) + sx] - 128;
                        }
                    }

                    for (var v = 0; v < 8; v++)
                    {
                        for (var u = 0; u < 8; u++)
                        {
                            double sum = 0;
                            for (var y = 0; y < 8; y++)
                            {
                                for (var x = 0; x < 8; x++)
                                {
                                    sum += block[(y * 8) + x] * Math.Cos(((2 * x) + 1) * u * Math.PI / 16) * Math.Cos(((2 * y) + 1) * v * Math.PI / 16);
                                }
                            }

                            var cu = u == 0 ? 1 / Math.Sqrt(2) : 1;
                            var cv = v == 0 ? 1 / Math.Sqrt(2) : 1;
                            coefficients[(v * 8) + u] = (int)Math.Round(0.25 * cu * cv * sum / Quant);
                        }
                    }

                    var dc = coefficients[0];
                    var diff = dc - previousDc[c];
                    previousDc[c] = dc;
                    var dcSize = Magnitude(diff);
                    bits.Write(dcSize, 4);
                    bits.WriteValue(diff, dcSize);
                    var zeros = 0;
                    for (var k = 1; k < 64; k++)
                    {
                        var value = coefficients[zigzag[k]];
                        if (value == 0)
                        {
                            zeros++;
                            continue;
                        }

                        while (zeros >= 16)
                        {
                            bits.Write(Array.IndexOf(acSymbols, (byte)0xF0), 8);
                            zeros -= 16;
                        }

                        var size = Magnitude(value);
                        bits.Write(Array.IndexOf(acSymbols, (byte)((zeros << 4) | size)), 8);
                        bits.WriteValue(value, size);
                        zeros = 0;
                    }

                    if (zeros > 0)
                    {
                        bits.Write(0, 8);
                    }
                }
            }
        }

        bits.Flush();
        file.Write([0xFF, 0xD9]);
        File.WriteAllBytes(path, file.ToArray());
    }

    /// <summary>An IDX file (magic, big-endian dimensions, bytes), gzip-compressed or raw.</summary>
    public static void WriteIdx(string path, int magic, int[] dims, byte[] data, bool gzip)
    {
        using var payload = new MemoryStream();
        var word = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        payload.Write(word);
        foreach (var d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            payload.Write(word);
        }

        payload.Write(data);
        if (!gzip)
        {
            File.WriteAllBytes(path, payload.ToArray());
            return;
        }

        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Optimal);
        zip.Write(payload.ToArray());
    }

    private static int Magnitude(int value)
    {
        var v = Math.Abs(value);
        var size = 0;
        while (v > 0)
        {
            size++;
            v >>= 1;
        }

        return size;
    }

    private static int[] ZigZag()
    {
        var order = new int[64];
        var k = 0;
        for (var s = 0; s < 15; s++)
        {
            var lo = Math.Max(0, s - 7);
            var hi = Math.Min(s, 7);
            if (s % 2 == 0)
            {
                for (var row = hi; row >= lo; row--)
                {
                    order[k++] = (row * 8) + (s - row);
                }
            }
            else
            {
                for (var row = lo; row <= hi; row++)
                {
                    order[k++] = (row * 8) + (s - row);
                }
            }
        }

        return order;
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type).CopyTo(typed, 0);
        data.CopyTo(typed, 4);
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        stream.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private sealed class BitWriter(Stream stream)
    {
        private int _buffer;
        private int _count;

        public void Write(int code, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((code >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        /// <summary>JPEG's magnitude coding: negative values as value - 1 in <paramref name="size"/> bits.</summary>
        public void WriteValue(int value, int size)
        {
            if (size > 0)
            {
                Write(value < 0 ? value + (1 << size) - 1 : value, size);
            }
        }

        public void Flush()
        {
            while (_count != 0)
            {
                Write(1, 1);
            }
        }

        private void Emit()
        {
            stream.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
            {
                stream.WriteByte(0);
            }

            _buffer = 0;
            _count = 0;
        }
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tldsl-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(params string[] parts)
    {
        var full = System.IO.Path.Combine([Path, .. parts]);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
