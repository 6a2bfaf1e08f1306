using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Tests.Fixtures;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

public sealed class ImageDecoderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static byte[] Pattern(int width, int height, int channels) =>
        Enumerable.Range(0, width * height * channels).Select(i => (byte)((i * 37) + (i / 7))).ToArray();

    /// <summary>Interleaved HWC bytes as the decoder's planar CHW floats.</summary>
    internal static float[] Planar(byte[] pixels, int width, int height, int channels, int keep)
    {
        var result = new float[keep * width * height];
        for (var i = 0; i < width * height; i++)
        {
            for (var c = 0; c < keep; c++)
            {
                result[(c * width * height) + i] = pixels[(i * channels) + c] / 255f;
            }
        }

        return result;
    }

    [Fact]
    public void Gray_PNG_stays_one_channel()
    {
        var pixels = Pattern(5, 3, 1);
        var path = _dir.File("g.png");
        ImageFiles.WritePng(path, pixels, 5, 3, 1);
        var image = ImageDecoder.Decode(path);
        Assert.Equal((1, 3, 5), (image.Channels, image.Height, image.Width));
        Assert.Equal(Planar(pixels, 5, 3, 1, 1), image.Pixels);
    }

    [Fact]
    public void Gray_alpha_PNG_stays_one_channel()
    {
        var pixels = Pattern(4, 4, 2);
        var path = _dir.File("ga.png");
        ImageFiles.WritePng(path, pixels, 4, 4, 2);
        var image = ImageDecoder.Decode(path);
        Assert.Equal(1, image.Channels);
        Assert.Equal(Planar(pixels, 4, 4, 2, 1), image.Pixels);
    }

    [Fact]
    public void RGB_PNG_is_planar_CHW()
    {
        var pixels = Pattern(6, 2, 3);
        var path = _dir.File("c.PNG");
        ImageFiles.WritePng(path, pixels, 6, 2, 3);
        var image = ImageDecoder.Decode(path);
        Assert.Equal((3, 2, 6), (image.Channels, image.Height, image.Width));
        Assert.Equal(Planar(pixels, 6, 2, 3, 3), image.Pixels);
    }

    [Fact]
    public void RGBA_PNG_drops_alpha()
    {
        var pixels = Pattern(3, 5, 4);
        var path = _dir.File("a.png");
        ImageFiles.WritePng(path, pixels, 3, 5, 4);
        var image = ImageDecoder.Decode(path);
        Assert.Equal(3, image.Channels);
        Assert.Equal(Planar(pixels, 3, 5, 4, 3), image.Pixels);
    }

    [Fact]
    public void BMP_decodes_exactly()
    {
        var pixels = Pattern(7, 3, 3);
        var path = _dir.File("b.bmp");
        ImageFiles.WriteBmp(path, pixels, 7, 3, 3);
        var image = ImageDecoder.Decode(path);
        Assert.Equal((3, 3, 7), (image.Channels, image.Height, image.Width));
        Assert.Equal(Planar(pixels, 7, 3, 3, 3), image.Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void JPEG_decodes_close_to_the_source(int channels)
    {
        const int W = 20, H = 13;
        var pixels = new byte[W * H * channels];
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    pixels[(((y * W) + x) * channels) + c] = (byte)(40 + (6 * x) + (5 * y) + (30 * c));
                }
            }
        }

        var path = _dir.File("j.jpg");
        ImageFiles.WriteJpeg(path, pixels, W, H, channels);
        var image = ImageDecoder.Decode(path);
        Assert.Equal((channels, H, W), (image.Channels, image.Height, image.Width));
        var expected = Planar(pixels, W, H, channels, channels);
        var worst = expected.Zip(image.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 6 / 255f, $"JPEG round trip off by {worst * 255} levels");
    }

    [Fact]
    public void Parallel_decoding_equals_sequential_decoding()
    {
        for (var i = 0; i < 24; i++)
        {
            var pixels = Pattern(16 + i, 12, 3).Select(b => (byte)(b ^ i)).ToArray();
            if (i % 2 == 0)
            {
                ImageFiles.WritePng(_dir.File("p", i % 3 == 0 ? "x" : "y", $"{i:D2}.png"), pixels, 16 + i, 12, 3);
            }
            else
            {
                ImageFiles.WriteJpeg(_dir.File("p", i % 3 == 0 ? "x" : "y", $"{i:D2}.jpg"), pixels, 16 + i, 12, 3);
            }
        }

        var source = new FolderImageSource(Path.Combine(_dir.Path, "p"), null);
        var sequential = Enumerable.Range(0, source.Count).Select(source.Decode).ToArray();
        for (var round = 0; round < 5; round++)
        {
            var parallel = new DecodedImage[source.Count];
            System.Threading.Tasks.Parallel.For(0, source.Count, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = source.Decode(i));
            for (var i = 0; i < source.Count; i++)
            {
                Assert.Equal(sequential[i].Pixels, parallel[i].Pixels);
            }
        }
    }

    [Fact]
    public void Committed_photo_decodes_as_RGB()
    {
        var path = FixturePaths.Get("images", "chelsea.png");
        var bytes = File.ReadAllBytes(path);
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        var image = ImageDecoder.Decode(path);
        Assert.Equal((3, height, width), (image.Channels, image.Height, image.Width));
        Assert.All(image.Pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.True(image.Pixels.Distinct().Count() > 200);
    }

    [Fact]
    public void Corrupt_file_names_the_file()
    {
        var path = _dir.File("broken.png");
        File.WriteAllBytes(path, [.. "this is not an image"u8]);
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("PNG, JPEG, BMP", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_PNG_names_the_file()
    {
        var full = _dir.File("full.png");
        ImageFiles.WritePng(full, Pattern(32, 32, 3), 32, 32, 3);
        var path = _dir.File("cut.png");
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        var path = _dir.File("nope.png");
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
