using System;

namespace TLDsl.Inference;

/// <summary>A decoded image as planar CHW floats in [0, 1]: 1 channel (gray) or 3 (RGB).</summary>
public sealed class PlanarImage
{
    /// <summary>Wraps planar pixels (not copied).</summary>
    /// <exception cref="ArgumentException">The array does not hold <c>channels * height * width</c> values.</exception>
    public PlanarImage(float[] pixels, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (pixels.LongLength < (long)channels * height * width)
        {
            throw new ArgumentException($"{channels}x{height}x{width} pixels need {(long)channels * height * width} values; the array has {pixels.LongLength}.", nameof(pixels));
        }

        Pixels = pixels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>CHW values in [0, 1].</summary>
#pragma warning disable CA1819 // The pixel buffer is the point of the type; copying it on every access would defeat it.
    public float[] Pixels { get; }
#pragma warning restore CA1819

    /// <summary>1 or 3.</summary>
    public int Channels { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Interleaved HWC bytes to planar CHW floats in [0, 1] (<c>b / 255f</c>, as torchvision's ToTensor).</summary>
    public static float[] FromInterleaved(ReadOnlySpan<byte> interleaved, int channels, int plane)
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
}
