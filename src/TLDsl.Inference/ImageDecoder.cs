using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using StbImageSharp;

namespace TLDsl.Inference;

/// <summary>Decodes PNG, JPEG, BMP (and the other formats stb_image reads: GIF, TGA, PSD, HDR, PNM) with StbImageSharp.
/// Grayscale (with or without alpha) gives 1 channel; colour gives 3 (alpha is dropped). An image larger than
/// <see cref="MaxPixels"/> is refused from its header, before any pixel is decoded. The one decoder of TLDsl: training,
/// evaluation and ONNX Runtime prediction all read images through it.</summary>
public static class ImageDecoder
{
    /// <summary>The default of <see cref="MaxPixels"/>: 50 megapixels. It admits every common camera photo (48-50 MP
    /// phone sensors, 45 MP full-frame cameras) while one decoded image stays under about 750 MB (3 bytes a pixel from
    /// the decoder plus 12 as CHW floats); a crafted or careless file (a 389 KB PNG of 20000x20000) would otherwise
    /// need 6 GB before the network ever sees it at its input size of a few hundred pixels.</summary>
    public const long DefaultMaxPixels = 50_000_000;

    private static long _maxPixels = DefaultMaxPixels;

    /// <summary>The most pixels (width x height) an image may have; larger images are refused from the header, before
    /// decoding. Process-wide; the CLI sets it from <c>--max-megapixels</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public static long MaxPixels
    {
        get => Interlocked.Read(ref _maxPixels);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Interlocked.Exchange(ref _maxPixels, value);
        }
    }

    /// <summary>Decodes an image file into CHW floats in [0, 1].</summary>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable or not a decodable image.</exception>
    public static PlanarImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException($"Cannot read image '{path}': {e.Message}", e);
        }

        return Decode(bytes, path);
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <exception cref="ImageDecodeException">The bytes are not a decodable image, or the image has more than
    /// <see cref="MaxPixels"/> pixels.</exception>
    public static PlanarImage Decode(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(name);
        ImageResult image;
        try
        {
            var info = ImageInfo.FromStream(new MemoryStream(bytes, writable: false))
                ?? throw new ImageDecodeException(NotAnImage(name, "unknown or corrupt image format"));
            CheckSize(name, info.Width, info.Height);
            var gray = info.ColorComponents is ColorComponents.Grey or ColorComponents.GreyAlpha;
            image = ImageResult.FromMemory(bytes, gray ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (ImageDecodeException)
        {
            throw;
        }
#pragma warning disable CA1031 // stb_image reports corrupt data with plain exceptions of several types.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw new ImageDecodeException(NotAnImage(name, Corrupt(e.Message)), e);
        }

        if (image?.Data is null || image.Width <= 0 || image.Height <= 0)
        {
            throw new ImageDecodeException(NotAnImage(name, "no pixels decoded"));
        }

        var channels = image.Comp == ColorComponents.Grey ? 1 : 3;
        CheckSize(name, image.Width, image.Height);
        var plane = image.Width * image.Height;
        if (image.Data.Length < plane * channels)
        {
            throw new ImageDecodeException(NotAnImage(name, "truncated pixel data"));
        }

        return new PlanarImage(PlanarImage.FromInterleaved(image.Data, channels, plane), channels, image.Height, image.Width);
    }

    /// <summary>Refuses an image whose header declares more than <see cref="MaxPixels"/> pixels.</summary>
    private static void CheckSize(string name, int width, int height)
    {
        var limit = MaxPixels;
        var pixels = (long)width * height;
        if (pixels > limit)
        {
            var c = CultureInfo.InvariantCulture;
            throw new ImageDecodeException(string.Create(c,
                $"Image '{name}' is {width}x{height} ({Megapixels(pixels)} megapixels), over the limit of {Megapixels(limit)} megapixels; it was not decoded. " +
                $"Shrink the image, or raise the limit: tldsl --max-megapixels N (in code: ImageDecoder.MaxPixels)."));
        }
    }

    private static string Megapixels(long pixels) => (pixels / 1e6).ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>stb_image's reason, when it is printable text (a truncated PNG gives a string of NUL bytes).</summary>
    private static string Corrupt(string? reason)
    {
        var text = reason?.Trim('\0', ' ', '\t', '\r', '\n');
        var printable = !string.IsNullOrEmpty(text) && text.All(ch => !char.IsControl(ch)) && text.Any(char.IsLetter);
        return printable ? $"truncated or corrupt image data ({text})" : "truncated or corrupt image data";
    }

    private static string NotAnImage(string name, string reason) =>
        $"Cannot decode image '{name}': {reason}. Allowed formats: PNG, JPEG, BMP (also GIF, TGA, PSD, HDR, PNM).";
}
