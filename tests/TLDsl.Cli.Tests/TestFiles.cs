using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace TLDsl.Cli.Tests;

/// <summary>Repository paths, a tiny pipeline over the committed Fashion-MNIST sample, and a minimal PNG writer.</summary>
internal static class TestFiles
{
    public static readonly string[] FashionLabels = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];

    public static string RepoRoot => TLDsl.Tests.Shared.RepositoryRoot.Folder;

    public static string Sample(string file) => Path.Combine(RepoRoot, "samples", "fashion-mnist", file).Replace('\\', '/');

    /// <summary>ImageNet ResNet-18, frozen, a small head, 32x32 input, 10 images per class, one epoch.</summary>
    public static string TinyPipeline(string folder, string name = "TinyFashion")
    {
        string yaml = $$"""
            version: 1
            name: {{name}}
            base: { model: resnet18_imagenet, weights: imagenet }
            input: { size: [32, 32], channels: 1, normalize: weights }
            labels: [{{string.Join(", ", FashionLabels)}}]
            head: [dropout: 0.2, linear: 32, relu, linear: labels]
            freeze:
              - backbone
            data:
              train: { idx: { images: "{{Sample("train-images-idx3-ubyte.gz")}}", labels: "{{Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.2, seed: 3 }
              test: { idx: { images: "{{Sample("test-images-idx3-ubyte.gz")}}", labels: "{{Sample("test-labels-idx1-ubyte.gz")}}" } }
              limit_per_class: 10
            train:
              seed: 7
              batch: 16
              optimizer: { adamw: { lr: 3e-3, weight_decay: 0.01 } }
              phases:
                - { name: head, epochs: 1 }
              runs: runs
            """;
        string path = Path.Combine(folder, name + ".tl.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>The first <paramref name="count"/> images of a gzipped IDX file as (width, height, gray bytes).</summary>
    public static (int Width, int Height, byte[] Pixels)[] ReadIdx(string path, int count)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gz.CopyTo(memory);
        byte[] data = memory.ToArray();
        int n = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        int height = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8));
        int width = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(12));
        return Enumerable.Range(0, Math.Min(count, n))
            .Select(i => (width, height, data.AsSpan(16 + (i * width * height), width * height).ToArray()))
            .ToArray();
    }

    /// <summary>An 8-bit PNG, gray (1 channel) or RGB (3), no filtering.</summary>
    public static void WritePng(string path, byte[] pixels, int width, int height, int channels)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = (byte)(channels == 1 ? 0 : 2);
        Chunk(file, "IHDR", header);
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            int stride = width * channels;
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0);
                zlib.Write(pixels, y * stride, stride);
            }
        }
        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        byte[] typeAndData = [.. type.Select(c => (byte)c), .. data];
        stream.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }
        return ~crc;
    }
}
