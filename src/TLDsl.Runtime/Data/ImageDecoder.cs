using System;
using System.IO;
using StbImageSharp;

namespace TLDsl.Runtime.Data;

/// <summary>Decodes PNG, JPEG, BMP (and the other formats stb_image reads: GIF, TGA, PSD, HDR, PNM) with StbImageSharp.
/// Grayscale (with or without alpha) gives 1 channel; colour gives 3 (alpha is dropped).</summary>
public static class ImageDecoder
{
    /// <summary>Decodes an image file into CHW floats in [0, 1].</summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="DataException">The file is missing, unreadable or not a decodable image.</exception>
    public static DecodedImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"Cannot read image '{path}': {e.Message}", e);
        }

        return Decode(bytes, path);
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <exception cref="DataException">The bytes are not a decodable image.</exception>
    public static DecodedImage Decode(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(name);
        ImageResult image;
        try
        {
            var info = ImageInfo.FromStream(new MemoryStream(bytes, writable: false))
                ?? throw new DataException(NotAnImage(name, "unknown or corrupt image format"));
            var gray = info.ColorComponents is ColorComponents.Grey or ColorComponents.GreyAlpha;
            image = ImageResult.FromMemory(bytes, gray ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (DataException)
        {
            throw;
        }
#pragma warning disable CA1031 // stb_image reports corrupt data with plain exceptions of several types.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw new DataException(NotAnImage(name, e.Message), e);
        }

        if (image?.Data is null || image.Width <= 0 || image.Height <= 0)
        {
            throw new DataException(NotAnImage(name, "no pixels decoded"));
        }

        var channels = image.Comp == ColorComponents.Grey ? 1 : 3;
        var plane = image.Width * image.Height;
        if (image.Data.Length < plane * channels)
        {
            throw new DataException(NotAnImage(name, "truncated pixel data"));
        }

        return new DecodedImage(ToPlanar(image.Data, channels, plane), channels, image.Height, image.Width);
    }

    /// <summary>Interleaved HWC bytes to planar CHW floats in [0, 1].</summary>
    internal static float[] ToPlanar(ReadOnlySpan<byte> interleaved, int channels, int plane)
    {
        var lut = ByteToUnit;
        var pixels = new float[channels * plane];
        if (channels == 1)
        {
            for (var i = 0; i < plane; i++)
            {
                pixels[i] = lut[interleaved[i]];
            }

            return pixels;
        }

        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < channels; c++)
            {
                pixels[(c * plane) + i] = lut[interleaved[(i * channels) + c]];
            }
        }

        return pixels;
    }

    /// <summary><c>b / 255f</c> for every byte, as torchvision's ToTensor computes it.</summary>
    private static readonly float[] ByteToUnit = CreateLookup();

    private static float[] CreateLookup()
    {
        var lut = new float[256];
        for (var i = 0; i < 256; i++)
        {
            lut[i] = i / 255f;
        }

        return lut;
    }

    private static string NotAnImage(string name, string reason) =>
        $"Cannot decode image '{name}': {reason}. Allowed formats: PNG, JPEG, BMP (also GIF, TGA, PSD, HDR, PNM).";
}
