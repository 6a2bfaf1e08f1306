using System;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Inference;

/// <summary>
/// How an image becomes network input when a model is evaluated or used for prediction: resize the shorter side to
/// cover the input (bilinear, antialiased, aspect kept) and crop the centre, adapt the channel count (gray repeated to
/// RGB, RGB to luminance), reverse RGB to BGR if the weights want it, then <c>x * scale + shift</c> per channel (or a
/// per-pixel shift). The one implementation: the TorchSharp runtime's evaluation and prediction path and ONNX Runtime
/// prediction both call it, so an exported model sees exactly the numbers training's evaluation saw.
/// </summary>
public sealed class EvaluationPreprocessing
{
    /// <summary>The luminance weights (ITU-R 601-2, as torchvision's rgb_to_grayscale) for a 1-channel network.</summary>
    internal static readonly float[] GrayWeights = [0.2989f, 0.587f, 0.114f];

    private readonly float[] _scale;
    private readonly float[] _shift;
    private readonly float[]? _pixelShift;

    /// <summary>Creates the preprocessing.</summary>
    /// <param name="height">The network input's height.</param>
    /// <param name="width">The network input's width.</param>
    /// <param name="channels">What the network takes: 3 (1-channel images are repeated) or 1 (colour becomes luminance).</param>
    /// <param name="scale">Per channel (or one for all), in network channel order.</param>
    /// <param name="shift">Per channel (or one for all), in network channel order.</param>
    /// <param name="reverseChannels">Reverse RGB to BGR before scaling (3-channel networks only).</param>
    /// <param name="pixelShift">A per-pixel shift <c>[channels, height, width]</c> that replaces <paramref name="shift"/>, or null.</param>
    /// <exception cref="ArgumentException">The statistics do not fit the channel count, or the sizes are not positive.</exception>
    public EvaluationPreprocessing(int height, int width, int channels, IReadOnlyList<float> scale, IReadOnlyList<float> shift, bool reverseChannels, float[]? pixelShift = null)
    {
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 or 3 channels are supported.");
        }

        if (scale.Count != shift.Count || (scale.Count != channels && scale.Count != 1 && channels != 1))
        {
            throw new ArgumentException($"The normalisation has {scale.Count} channel statistics; the network takes {channels} channels.", nameof(scale));
        }

        Height = height;
        Width = width;
        Channels = channels;
        // A 1-channel network with 3-channel statistics: the luminance is a weighted mean of R, G, B, so use the mean statistics.
        _scale = Adapt(scale, channels);
        _shift = Adapt(shift, channels);
        ReverseChannels = reverseChannels && channels == 3;
        if (pixelShift is not null && pixelShift.Length == channels * height * width)
        {
            _pixelShift = pixelShift;
        }
    }

    /// <summary>The network input's height.</summary>
    public int Height { get; }

    /// <summary>The network input's width.</summary>
    public int Width { get; }

    /// <summary>The network's channels.</summary>
    public int Channels { get; }

    /// <summary>Whether RGB is reversed to BGR.</summary>
    public bool ReverseChannels { get; }

    /// <summary>Per-channel scale, network channel order (<see cref="Channels"/> values).</summary>
    public IReadOnlyList<float> Scale => _scale;

    /// <summary>Per-channel shift, network channel order (<see cref="Channels"/> values).</summary>
    public IReadOnlyList<float> Shift => _shift;

    /// <summary>The per-pixel shift <c>[Channels, Height, Width]</c> used instead of <see cref="Shift"/>, or null.</summary>
    public IReadOnlyList<float>? PixelShift => _pixelShift;

    /// <summary>Network input for one image: <c>[Channels, Height, Width]</c> floats.</summary>
    public float[] Apply(PlanarImage image)
    {
        var result = new float[Channels * Height * Width];
        Apply(image, result);
        return result;
    }

    /// <summary>Writes the network input for one image into <paramref name="destination"/> (<c>Channels * Height * Width</c> floats).</summary>
    public void Apply(PlanarImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = Height * Width;
        if (destination.Length < Channels * plane)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; {Channels * plane} are needed.", nameof(destination));
        }

        var fitted = ResizeAndCrop(image, Height, Width);
        var src = fitted.Pixels;
        for (int c = 0; c < Channels; c++)
        {
            // The source channel (or channels) behind network channel c.
            int from = ReverseChannels ? Channels - 1 - c : c;
            float scale = _scale[c];
            var target = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
            {
                float value = fitted.Channels == Channels ? src[(from * plane) + i]
                    : fitted.Channels == 1 ? src[i]
                    : Luminance(src, plane, i);
                float shift = _pixelShift is null ? _shift[c] : _pixelShift[(c * plane) + i];
                target[i] = shift + (value * scale);
            }
        }
    }

    /// <summary>Writes the image resized, cropped and adapted to the network's channel count, still RGB (or gray) in
    /// [0, 1], into <paramref name="destination"/>: the input of a model exported with the preprocessing in its graph.</summary>
    public void Fit(PlanarImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = Height * Width;
        var fitted = ResizeAndCrop(image, Height, Width);
        var src = fitted.Pixels;
        for (int c = 0; c < Channels; c++)
        {
            var target = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
            {
                target[i] = fitted.Channels == Channels ? src[(c * plane) + i]
                    : fitted.Channels == 1 ? src[i]
                    : Luminance(src, plane, i);
            }
        }
    }

    /// <summary>The size an <paramref name="h"/> x <paramref name="w"/> image is resized to so that it covers
    /// <paramref name="height"/> x <paramref name="width"/> (shorter side to the target, aspect kept), and the top-left
    /// corner of the centre crop in it: the geometry of every evaluation-path resize, tensor or managed.</summary>
    public static (int ResizedHeight, int ResizedWidth, int Top, int Left) CoverAndCrop(int h, int w, int height, int width)
    {
        int rh, rw;
        if ((double)height / h >= (double)width / w)
        {
            rh = height;
            rw = Math.Max(width, (int)((double)w * height / h));
        }
        else
        {
            rw = width;
            rh = Math.Max(height, (int)((double)h * width / w));
        }

        return (rh, rw, (int)Math.Round((rh - height) / 2.0), (int)Math.Round((rw - width) / 2.0));
    }

    /// <summary>Resizes so that the image covers <paramref name="height"/> x <paramref name="width"/> (shorter side to
    /// the target, aspect kept; bilinear, antialiased), then crops the centre. Channels are left as they are.</summary>
    public static PlanarImage ResizeAndCrop(PlanarImage image, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(image);
        int h = image.Height, w = image.Width;
        if (h == height && w == width)
        {
            return image;
        }

        var (rh, rw, top, left) = CoverAndCrop(h, w, height, width);
        return AntialiasedResize.ResizeWindow(image, rh, rw, top, left, height, width);
    }

    private static float Luminance(float[] rgb, int plane, int i) =>
        (rgb[i] * GrayWeights[0]) + (rgb[plane + i] * GrayWeights[1]) + (rgb[(2 * plane) + i] * GrayWeights[2]);

    private static float[] Adapt(IReadOnlyList<float> values, int channels) =>
        channels == 1 && values.Count != 1 ? [values.Average()]
        : values.Count == 1 ? Enumerable.Repeat(values[0], channels).ToArray()
        : [.. values];
}
