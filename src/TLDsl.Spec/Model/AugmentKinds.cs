using System;
using System.Collections.Generic;

namespace TLDsl.Spec.Model;

/// <summary>Where in preprocessing an augmentation kind acts; the stages run in this order, and the kinds of one
/// stage in the order the pipeline lists them.</summary>
public enum AugmentStage
{
    /// <summary>On each decoded image, before it is resized to the network input.</summary>
    Image,

    /// <summary>On each network-sized image, before normalisation.</summary>
    Input,

    /// <summary>On each normalised network input.</summary>
    Normalized,

    /// <summary>Across the batch (samples mixed with each other; the loss mixes their labels).</summary>
    Batch,
}

/// <summary>The augmentation kinds of the language: YAML word and stage of each. One place: the parser, the
/// runtime and the back ends ask here, and <see cref="Of"/> throws on a kind it does not know.</summary>
public static class AugmentKinds
{
    /// <summary>The YAML words, in the key table's order.</summary>
    public static IReadOnlyList<string> Words { get; } = new[]
    {
        "random_resized_crop", "flip", "rotation", "color_jitter", "trivial_augment", "random_erasing", "pad_crop", "mixup", "cutmix",
    };

    /// <summary>The YAML word and the stage of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A kind this table does not know.</exception>
    public static (string Word, AugmentStage Stage) Of(AugmentKind kind) => kind switch
    {
        AugmentKind.RandomResizedCrop => ("random_resized_crop", AugmentStage.Image),
        AugmentKind.Flip => ("flip", AugmentStage.Image),
        AugmentKind.Rotation => ("rotation", AugmentStage.Image),
        AugmentKind.ColorJitter => ("color_jitter", AugmentStage.Image),
        AugmentKind.TrivialAugment => ("trivial_augment", AugmentStage.Image),
        AugmentKind.PadCrop => ("pad_crop", AugmentStage.Input),
        AugmentKind.RandomErasing => ("random_erasing", AugmentStage.Normalized),
        AugmentKind.Mixup => ("mixup", AugmentStage.Batch),
        AugmentKind.CutMix => ("cutmix", AugmentStage.Batch),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown augmentation kind."),
    };

    /// <summary>The YAML word of a test-time augmentation view.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A view this table does not know.</exception>
    public static string Word(TtaView view) => view switch
    {
        TtaView.Flip => "flip",
        TtaView.VerticalFlip => "vertical_flip",
        TtaView.Rotate90 => "rotate90",
        _ => throw new ArgumentOutOfRangeException(nameof(view), view, "Unknown test-time augmentation view."),
    };

    /// <summary>The test-time augmentation words, in <see cref="TtaView"/> order.</summary>
    public static IReadOnlyList<string> TtaWords { get; } = new[] { "flip", "vertical_flip", "rotate90" };
}
