using System;

namespace TLDsl.Runtime.Data;

/// <summary>A training-time image augmentation, applied per sample in the order the pipeline declares them.
/// Randomness comes from a per-sample generator seeded by (seed, epoch, sample index).</summary>
public abstract record Augmentation
{
    private protected Augmentation()
    {
    }

    /// <summary>Whether this augmentation, as configured, can change the image (so frozen features cannot be cached).</summary>
    public abstract bool IsRandom { get; }

    /// <summary>Throws <see cref="ArgumentException"/> when a parameter is out of range.</summary>
    internal abstract void Validate();
}

/// <summary>torchvision's RandomResizedCrop: a random region covering <c>[ScaleMin, ScaleMax]</c> of the area with an
/// aspect ratio in <c>[RatioMin, RatioMax]</c> (log-uniform), resized to the network input (bilinear, antialiased).</summary>
/// <param name="ScaleMin">Smallest area fraction, in (0, 1].</param>
/// <param name="ScaleMax">Largest area fraction, in [ScaleMin, 1].</param>
/// <param name="RatioMin">Smallest width/height ratio.</param>
/// <param name="RatioMax">Largest width/height ratio.</param>
public sealed record RandomResizedCrop(double ScaleMin, double ScaleMax, double RatioMin = 3.0 / 4, double RatioMax = 4.0 / 3) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => true;

    internal override void Validate()
    {
        if (!(ScaleMin > 0 && ScaleMin <= ScaleMax && ScaleMax <= 1))
        {
            throw new ArgumentException($"random_resized_crop: scale must satisfy 0 < min <= max <= 1, got [{ScaleMin}, {ScaleMax}].");
        }

        if (!(RatioMin > 0 && RatioMin <= RatioMax))
        {
            throw new ArgumentException($"random_resized_crop: ratio must satisfy 0 < min <= max, got [{RatioMin}, {RatioMax}].");
        }
    }
}

/// <summary>Mirrors the image left-right with probability <see cref="P"/>.</summary>
/// <param name="P">Probability in [0, 1].</param>
public sealed record HorizontalFlip(double P = 0.5) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => P > 0;

    internal override void Validate()
    {
        if (!(P >= 0 && P <= 1))
        {
            throw new ArgumentException($"horizontal_flip: p must be in [0, 1], got {P}.");
        }
    }
}

/// <summary>Mirrors the image top-bottom with probability <see cref="P"/>.</summary>
/// <param name="P">Probability in [0, 1].</param>
public sealed record VerticalFlip(double P = 0.5) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => P > 0;

    internal override void Validate()
    {
        if (!(P >= 0 && P <= 1))
        {
            throw new ArgumentException($"flip: p must be in [0, 1], got {P}.");
        }
    }
}

/// <summary>Rotates about the centre by an angle drawn uniformly from <c>[-Degrees, Degrees]</c> (bilinear, corners
/// filled with 0, image size kept).</summary>
/// <param name="Degrees">Largest angle, 0 to 180.</param>
public sealed record Rotation(double Degrees) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => Degrees > 0;

    internal override void Validate()
    {
        if (!(Degrees >= 0 && Degrees <= 180))
        {
            throw new ArgumentException($"rotation: degrees must be in [0, 180], got {Degrees}.");
        }
    }
}

/// <summary>torchvision's ColorJitter: brightness, contrast and saturation factors drawn uniformly from
/// <c>[max(0, 1 - x), 1 + x]</c>, each result clamped to [0, 1], and a hue shift drawn uniformly from
/// <c>[-Hue, Hue]</c> (a turn of the HSV hue circle is 1). Unlike torchvision the order is fixed (brightness,
/// contrast, saturation, hue), so that a whole batch is jittered with a few tensor operations. Saturation and hue leave
/// grayscale images unchanged.</summary>
/// <param name="Brightness">0 for none.</param>
/// <param name="Contrast">0 for none.</param>
/// <param name="Saturation">0 for none.</param>
/// <param name="Hue">0 for none, at most 0.5 (half a turn either way).</param>
public sealed record ColorJitter(double Brightness, double Contrast, double Saturation, double Hue) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => Brightness > 0 || Contrast > 0 || Saturation > 0 || Hue > 0;

    internal override void Validate()
    {
        if (!(Brightness >= 0 && Contrast >= 0 && Saturation >= 0))
        {
            throw new ArgumentException($"color_jitter: brightness, contrast and saturation must be >= 0, got {Brightness}, {Contrast}, {Saturation}.");
        }

        if (!(Hue >= 0 && Hue <= 0.5))
        {
            throw new ArgumentException($"color_jitter: hue must be in [0, 0.5], got {Hue}.");
        }
    }
}

/// <summary>torchvision's TrivialAugmentWide: per image one operation drawn uniformly from identity, shear x/y,
/// translate x/y, rotate, brightness, colour, contrast, sharpness, posterize, solarize, autocontrast and equalize, at a
/// magnitude drawn uniformly from <see cref="Bins"/> levels (signed operations turn either way). Translations are up to
/// 32/224 of the image side (torchvision's 32 pixels at 224) and solarize thresholds run from 1 down to 0, so that
/// the strength does not depend on the decoded image's size.</summary>
/// <param name="Bins">Magnitude levels, at least 2 (torchvision's default 31).</param>
public sealed record TrivialAugment(int Bins = 31) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => true;

    internal override void Validate()
    {
        if (Bins < 2)
        {
            throw new ArgumentException($"trivial_augment: bins must be at least 2, got {Bins}.");
        }
    }
}

/// <summary>torchvision's RandomErasing, on the normalised network input: with probability <see cref="P"/> a rectangle
/// of <c>[ScaleMin, ScaleMax]</c> of the area and a log-uniform aspect ratio in <c>[RatioMin, RatioMax]</c> is set to 0
/// (the mean colour) or, with <see cref="RandomValue"/>, to standard normal noise per pixel (timm's mode "pixel").</summary>
/// <param name="P">Probability in [0, 1].</param>
/// <param name="ScaleMin">Smallest area fraction, in (0, 1].</param>
/// <param name="ScaleMax">Largest area fraction, in [ScaleMin, 1].</param>
/// <param name="RatioMin">Smallest height/width ratio.</param>
/// <param name="RatioMax">Largest height/width ratio.</param>
/// <param name="RandomValue">Noise instead of 0.</param>
public sealed record RandomErasing(double P = 0.5, double ScaleMin = 0.02, double ScaleMax = 0.33, double RatioMin = 0.3, double RatioMax = 3.3,
    bool RandomValue = false) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => P > 0;

    internal override void Validate()
    {
        if (!(P >= 0 && P <= 1))
        {
            throw new ArgumentException($"random_erasing: p must be in [0, 1], got {P}.");
        }

        if (!(ScaleMin > 0 && ScaleMin <= ScaleMax && ScaleMax <= 1) || !(RatioMin > 0 && RatioMin <= RatioMax))
        {
            throw new ArgumentException($"random_erasing: scale must satisfy 0 < min <= max <= 1 and ratio 0 < min <= max, got [{ScaleMin}, {ScaleMax}] and [{RatioMin}, {RatioMax}].");
        }
    }
}

/// <summary>torchvision's RandomCrop with padding, on the network-sized image: padded by <see cref="Padding"/> pixels
/// a side (black, or mirrored with <see cref="Reflect"/>), then cropped back to the input size at an offset drawn
/// uniformly — a random shift of up to <see cref="Padding"/> pixels each way.</summary>
/// <param name="Padding">Pixels a side, at least 1 (with <see cref="Reflect"/>, less than the input's shorter side).</param>
/// <param name="Reflect">Mirror the border instead of padding with black.</param>
public sealed record PadCrop(int Padding = 4, bool Reflect = false) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => true;

    internal override void Validate()
    {
        if (Padding < 1)
        {
            throw new ArgumentException($"pad_crop: padding must be at least 1, got {Padding}.");
        }
    }
}

/// <summary>Mixup (Zhang et al.) or CutMix (Yun et al.) across the batch: with probability <see cref="P"/> a sample is
/// mixed with its partner (the sample at the mirrored position of the batch, as timm pairs them) by a share λ drawn
/// from Beta(<see cref="Alpha"/>, <see cref="Alpha"/>): blended (mixup) or with a rectangle of area 1 - λ pasted in
/// (cutmix). The loss is λ × loss(own label) + (1 - λ) × loss(partner's label), each with the pipeline's label
/// smoothing (timm's soft targets). When both are listed, each sample picks one of the two with equal chance.</summary>
/// <param name="CutMix">Paste a rectangle instead of blending.</param>
/// <param name="Alpha">The Beta distribution's parameter, &gt; 0.</param>
/// <param name="P">Probability per sample, in [0, 1].</param>
public sealed record Mix(bool CutMix, double Alpha, double P = 1) : Augmentation
{
    /// <inheritdoc/>
    public override bool IsRandom => P > 0;

    internal override void Validate()
    {
        if (!(Alpha > 0 && double.IsFinite(Alpha)) || !(P >= 0 && P <= 1))
        {
            throw new ArgumentException($"{(CutMix ? "cutmix" : "mixup")}: alpha must be > 0 and p in [0, 1], got {Alpha} and {P}.");
        }
    }
}
