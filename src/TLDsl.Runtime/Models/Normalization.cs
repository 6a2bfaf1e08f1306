using System;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Runtime.Models;

/// <summary>How pixels must be prepared for a set of pre-trained weights. Bound to the weights, so that a pipeline
/// saying <c>normalize: weights</c> cannot get it wrong.</summary>
public abstract record Normalization
{
    /// <summary>torchvision's ImageNet statistics on RGB in [0, 1].</summary>
    public static readonly Normalization ImageNet = new MeanStdNormalization([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Per-channel (scale, shift) such that <c>x' = x * scale + shift</c> for RGB input in [0, 1],
    /// in the channel order the network expects, plus whether RGB must be reversed to BGR first.</summary>
    public abstract (float[] Scale, float[] Shift, bool ReverseChannels) Affine();

    /// <summary>A per-pixel shift [C, H, W] (network channel order) that replaces the per-channel shift at this exact
    /// input size, or null. The offline ImageNet ResNet-18 subtracts a mean image at 224x224.</summary>
    public virtual float[]? PixelShift(int height, int width) => null;
}

/// <summary><c>(x - mean) / std</c> on RGB in [0, 1].</summary>
/// <param name="Mean">Per channel, RGB order.</param>
/// <param name="Std">Per channel, RGB order.</param>
public sealed record MeanStdNormalization(float[] Mean, float[] Std) : Normalization
{
    /// <inheritdoc/>
    public override (float[] Scale, float[] Shift, bool ReverseChannels) Affine() =>
        (Std.Select(s => 1f / s).ToArray(), Mean.Zip(Std, (m, s) => -m / s).ToArray(), false);

    /// <inheritdoc/>
    public bool Equals(MeanStdNormalization? other) =>
        other is not null && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Mean.Length, Mean.FirstOrDefault(), Std.FirstOrDefault());
}

/// <summary>The Caffe/CNTK convention: RGB in [0, 255] reordered to BGR, minus per-channel means, no division.</summary>
/// <param name="BgrMean">Means in BGR order, on the 0–255 scale.</param>
public sealed record BgrMeanNormalization(float[] BgrMean) : Normalization
{
    /// <summary>The exact mean image (BGR, [3, size, size], 0–255) the weights were trained with, loaded on first use;
    /// at other sizes the channel means stand in for it (cosine ≥ 0.999 of the features).</summary>
    public Func<float[]>? MeanImage { get; init; }

    /// <summary>The side of <see cref="MeanImage"/>.</summary>
    public int MeanImageSize { get; init; }

    /// <inheritdoc/>
    public override float[]? PixelShift(int height, int width) =>
        MeanImage is not null && height == MeanImageSize && width == MeanImageSize
            ? MeanImage().Select(m => -m).ToArray()
            : null;

    /// <inheritdoc/>
    public override (float[] Scale, float[] Shift, bool ReverseChannels) Affine() =>
        ([255f, 255f, 255f], BgrMean.Select(m => -m).ToArray(), true);

    /// <inheritdoc/>
    public bool Equals(BgrMeanNormalization? other) => other is not null && BgrMean.SequenceEqual(other.BgrMean);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BgrMean.Length, BgrMean.FirstOrDefault());
}

/// <summary>Named pre-trained weights an architecture can load without a file from the user.</summary>
/// <param name="Name">The name a pipeline uses, e.g. <c>imagenet</c>.</param>
/// <param name="Normalization">The preprocessing the weights were trained with.</param>
/// <param name="Description">Where the weights come from.</param>
public sealed record NamedWeights(string Name, Normalization Normalization, string Description);

/// <summary>Helpers over weights lists.</summary>
internal static class NamedWeightsExtensions
{
    public static NamedWeights? Find(this IReadOnlyList<NamedWeights> list, string name) =>
        list.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.Ordinal));
}
