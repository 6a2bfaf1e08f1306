using System;
using TLDsl.Spec.Catalogue;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Models;

/// <summary>One step of an architecture's forward pass, in order. Running the steps reproduces the module's own
/// <c>forward</c> exactly (a test holds every architecture to this), which lets surgery stop at any step. The catalogue
/// files carry the same steps (<see cref="CatalogueExporter"/> writes them), and the generator emits them.</summary>
/// <param name="Name">The child's name (its state-dict prefix), or the functional step's name
/// (<see cref="LayoutStepInfo.PoolName"/>, <see cref="LayoutStepInfo.FlattenName"/>).</param>
/// <param name="Kind">Child module or functional step.</param>
public sealed record LayoutStep(string Name, LayoutStepKind Kind)
{
    /// <summary>For a Sequential child cut short by surgery: how many of its first items are kept (null: all).</summary>
    public int? TruncateAt { get; init; }

    /// <summary>A registered child.</summary>
    public static LayoutStep Child(string name) => new(name, LayoutStepKind.Child);

    /// <summary>The functional pool torchvision's MobileNetV2 uses.</summary>
    public static LayoutStep Pool() => new(LayoutStepInfo.PoolName, LayoutStepKind.GlobalAveragePool);

    /// <summary>The functional flatten before a classifier.</summary>
    public static LayoutStep Flatten() => new(LayoutStepInfo.FlattenName, LayoutStepKind.Flatten);

    /// <summary>Runs the step on <paramref name="x"/>; <paramref name="child"/> gives a child step's module by name.
    /// The one implementation of each kind (the generator emits the same operations).</summary>
    public Tensor Run(Tensor x, Func<string, Module<Tensor, Tensor>> child)
    {
        ArgumentNullException.ThrowIfNull(child);
        return Kind switch
        {
            LayoutStepKind.Child => child(Name).call(x),
            LayoutStepKind.GlobalAveragePool => functional.adaptive_avg_pool2d(x, [1, 1]),
            LayoutStepKind.Flatten => x.flatten(1),
            _ => throw new InvalidOperationException($"unknown layout step kind {Kind}"),
        };
    }
}
