namespace TLDsl.Spec.Model;

/// <summary>One training-time augmentation.</summary>
/// <param name="Kind">Which augmentation.</param>
public abstract record AugmentSpec(AugmentKind Kind);

/// <summary>Random crop of a random area fraction and aspect ratio, resized to the input size.</summary>
/// <param name="ScaleMin">Smallest area fraction.</param>
/// <param name="ScaleMax">Largest area fraction.</param>
/// <param name="RatioMin">Smallest aspect ratio.</param>
/// <param name="RatioMax">Largest aspect ratio.</param>
public sealed record RandomResizedCropSpec(double ScaleMin, double ScaleMax, double RatioMin, double RatioMax)
    : AugmentSpec(AugmentKind.RandomResizedCrop);

/// <summary>Random flip.</summary>
/// <param name="P">Probability.</param>
/// <param name="Vertical">True for a vertical flip, false for horizontal.</param>
public sealed record FlipSpec(double P, bool Vertical)
    : AugmentSpec(AugmentKind.Flip);

/// <summary>Random rotation in [-Degrees, Degrees].</summary>
/// <param name="Degrees">Largest rotation.</param>
public sealed record RotationSpec(double Degrees)
    : AugmentSpec(AugmentKind.Rotation);

/// <summary>Random colour changes (each a relative strength, 0 = off).</summary>
/// <param name="Brightness">Brightness strength.</param>
/// <param name="Contrast">Contrast strength.</param>
/// <param name="Saturation">Saturation strength.</param>
/// <param name="Hue">Hue shift in [0, 0.5].</param>
public sealed record ColorJitterSpec(double Brightness, double Contrast, double Saturation, double Hue)
    : AugmentSpec(AugmentKind.ColorJitter);
