using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

/// <summary>Images that would exhaust memory or whose decoder speaks in NUL bytes: refused with one clear message.</summary>
public sealed class HostileImageTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Huge_solid_PNG_is_refused_from_its_header()
    {
        var path = _dir.File("huge.png");
        ImageFiles.WriteSolidGrayPng(path, 20000, 20000, 128);
        Assert.True(new FileInfo(path).Length < 2_000_000, $"the test image should be small on disk: {new FileInfo(path).Length} bytes");
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("20000x20000 (400 megapixels), over the limit of 50 megapixels; it was not decoded", e.Message, StringComparison.Ordinal);
        Assert.Contains("--max-megapixels", e.Message, StringComparison.Ordinal);
        Assert.Contains("ImageDecoder.MaxPixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Size_is_checked_before_any_pixel_is_decoded()
    {
        // The header promises 20000x20000 but the pixel data is cut short: decoding would fail differently (or
        // allocate first), so the size message proves the check comes from the header alone.
        var path = _dir.File("promise.png");
        ImageFiles.WriteSolidGrayPng(path, 20000, 20000, 0, idatBytes: 64);
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(path));
        Assert.Contains("over the limit of 50 megapixels", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("corrupt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Small_image_decodes_under_the_default_limit()
    {
        Assert.Equal(50_000_000, ImageDecoder.DefaultMaxPixels);
        Assert.Equal(ImageDecoder.DefaultMaxPixels, ImageDecoder.MaxPixels);
        var path = _dir.File("wide.png");
        ImageFiles.WriteSolidGrayPng(path, 4000, 3, 7);
        var image = ImageDecoder.Decode(path);
        Assert.Equal((1, 3, 4000), (image.Channels, image.Height, image.Width));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Limit_must_be_positive(long limit) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDecoder.MaxPixels = limit);

    [Fact]
    public void Truncated_PNG_says_truncated_or_corrupt_in_printable_text()
    {
        var full = _dir.File("full.png");
        ImageFiles.WritePng(full, ImageDecoderTests.Pattern(32, 32, 3), 32, 32, 3);
        var path = _dir.File("cut.png");
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(path));
        Assert.Contains($"Cannot decode image '{path}': truncated or corrupt image data", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(e.Message, char.IsControl);
    }
}
