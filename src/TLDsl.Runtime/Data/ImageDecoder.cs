using System;
using TLDsl.Inference;
using Decoder = TLDsl.Inference.ImageDecoder;

namespace TLDsl.Runtime.Data;

/// <summary>The runtime's face of <see cref="Decoder"/> (TLDsl.Inference holds the one decoder, shared with ONNX
/// Runtime prediction): the same images, as <see cref="DecodedImage"/>, with errors as <see cref="DataException"/>.</summary>
public static class ImageDecoder
{
    /// <summary>The default of <see cref="MaxPixels"/>: see <see cref="Decoder.DefaultMaxPixels"/>.</summary>
    public const long DefaultMaxPixels = Decoder.DefaultMaxPixels;

    /// <summary>The most pixels (width x height) an image may have; larger images are a <see cref="DataException"/>
    /// raised from the header, before decoding. Process-wide (it is <see cref="Decoder.MaxPixels"/>); the CLI sets it
    /// from <c>--max-megapixels</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public static long MaxPixels
    {
        get => Decoder.MaxPixels;
        set => Decoder.MaxPixels = value;
    }

    /// <summary>Decodes an image file into CHW floats in [0, 1].</summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="DataException">The file is missing, unreadable or not a decodable image.</exception>
    public static DecodedImage Decode(string path)
    {
        try
        {
            return From(Decoder.Decode(path));
        }
        catch (ImageDecodeException e)
        {
            throw new DataException(e.Message, e.InnerException ?? e);
        }
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <exception cref="DataException">The bytes are not a decodable image, or the image has more than
    /// <see cref="MaxPixels"/> pixels.</exception>
    public static DecodedImage Decode(byte[] bytes, string name)
    {
        try
        {
            return From(Decoder.Decode(bytes, name));
        }
        catch (ImageDecodeException e)
        {
            throw new DataException(e.Message, e.InnerException ?? e);
        }
    }

    /// <summary>Interleaved HWC bytes to planar CHW floats in [0, 1].</summary>
    internal static float[] ToPlanar(ReadOnlySpan<byte> interleaved, int channels, int plane) =>
        PlanarImage.FromInterleaved(interleaved, channels, plane);

    private static DecodedImage From(PlanarImage image) => new(image.Pixels, image.Channels, image.Height, image.Width);
}
