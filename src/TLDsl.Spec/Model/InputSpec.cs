namespace TLDsl.Spec.Model;

/// <summary>What the model is fed.</summary>
/// <param name="Height">Input height in pixels (images are resized to it).</param>
/// <param name="Width">Input width in pixels.</param>
/// <param name="Channels">Channels of the data; 1 (grayscale) is repeated to the model's channel count.</param>
/// <param name="Normalize">Pixel normalisation, resolved.</param>
public sealed record InputSpec(int Height, int Width, int Channels, NormalizeSpec Normalize);

/// <summary>
/// Pixel normalisation as written (<see cref="Kind"/>, <see cref="WeightsName"/>) and resolved to numbers:
/// for <see cref="NormalizeKind.BgrMean"/>, <see cref="Mean"/> holds B, G, R means on 0-255 pixels and <see cref="Std"/> is empty;
/// otherwise mean and std apply to RGB pixels scaled to [0, 1]. Both are empty for <see cref="NormalizeKind.None"/>.
/// </summary>
/// <param name="Kind">How it was written.</param>
/// <param name="WeightsName">The weights whose statistics are used, for Weights and Named.</param>
/// <param name="Mean">Per-channel means.</param>
/// <param name="Std">Per-channel standard deviations.</param>
/// <param name="Bgr">True when pixels are reordered to BGR on a 0-255 scale before subtracting the means.</param>
public sealed record NormalizeSpec(
    NormalizeKind Kind,
    string? WeightsName,
    EquatableArray<double> Mean,
    EquatableArray<double> Std,
    bool Bgr);
