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

/// <summary>TrivialAugmentWide: per image one operation drawn uniformly from the wide set, at a magnitude drawn
/// uniformly from <paramref name="Bins"/> levels.</summary>
/// <param name="Bins">Magnitude levels (torchvision's num_magnitude_bins, default 31).</param>
public sealed record TrivialAugmentSpec(int Bins)
    : AugmentSpec(AugmentKind.TrivialAugment);

/// <summary>Random erasing (torchvision/timm RandomErasing) of the normalised network input.</summary>
/// <param name="P">Probability per image.</param>
/// <param name="ScaleMin">Smallest erased area fraction.</param>
/// <param name="ScaleMax">Largest erased area fraction.</param>
/// <param name="RatioMin">Smallest aspect ratio of the rectangle.</param>
/// <param name="RatioMax">Largest aspect ratio of the rectangle.</param>
/// <param name="RandomValue">True: per-pixel normal noise (timm's mode pixel); false: 0, the mean colour.</param>
public sealed record RandomErasingSpec(double P, double ScaleMin, double ScaleMax, double RatioMin, double RatioMax, bool RandomValue)
    : AugmentSpec(AugmentKind.RandomErasing);

/// <summary>Pads the network-sized image by <paramref name="Padding"/> pixels a side and crops it back at a random offset.</summary>
/// <param name="Padding">Pixels of padding a side.</param>
/// <param name="Reflect">True: mirror the border; false: pad with black.</param>
public sealed record PadCropSpec(int Padding, bool Reflect)
    : AugmentSpec(AugmentKind.PadCrop);

/// <summary>Mixup or CutMix: each sample is mixed with its partner in the batch (the batch reversed) by a share
/// drawn from Beta(<paramref name="Alpha"/>, <paramref name="Alpha"/>), with probability <paramref name="P"/>.</summary>
/// <param name="Kind"><see cref="AugmentKind.Mixup"/> or <see cref="AugmentKind.CutMix"/>.</param>
/// <param name="Alpha">The Beta distribution's parameter.</param>
/// <param name="P">Probability per sample.</param>
public sealed record MixSpec(AugmentKind Kind, double Alpha, double P)
    : AugmentSpec(Kind);
