namespace TLDsl.Runtime.Models;

/// <summary>What a step of an architecture's forward pass does.</summary>
public enum LayoutStepKind
{
    /// <summary>Calls the registered child module of that name.</summary>
    Child,

    /// <summary>A functional global average pool to 1x1 (the module has no child for it).</summary>
    GlobalAveragePool,

    /// <summary>Flattens everything after the batch dimension.</summary>
    Flatten,
}

/// <summary>One step of an architecture's forward pass, in order. Running the steps reproduces the module's own
/// <c>forward</c> exactly (a test holds every architecture to this), which lets surgery stop at any step.</summary>
/// <param name="Name">The child's name (its state-dict prefix), or a descriptive name for a functional step.</param>
/// <param name="Kind">Child module or functional step.</param>
public sealed record LayoutStep(string Name, LayoutStepKind Kind)
{
    /// <summary>For a Sequential child cut short by surgery: how many of its first items are kept (null: all).</summary>
    public int? TruncateAt { get; init; }

    /// <summary>A registered child.</summary>
    public static LayoutStep Child(string name) => new(name, LayoutStepKind.Child);

    /// <summary>The functional pool torchvision's MobileNetV2 uses.</summary>
    public static LayoutStep Pool() => new("(pool)", LayoutStepKind.GlobalAveragePool);

    /// <summary>The functional flatten before a classifier.</summary>
    public static LayoutStep Flatten() => new("(flatten)", LayoutStepKind.Flatten);
}
