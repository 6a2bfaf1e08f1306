using System;
using System.Collections.Generic;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Models;

/// <summary>A base model TLDsl can build: how to construct it, how its forward pass is laid out, which module is
/// its classifier, its default input size and the weights it can load by name.</summary>
/// <param name="Name">The catalogue name a pipeline uses, e.g. <c>resnet18</c>.</param>
/// <param name="Family">resnet, mobilenet, vgg, alexnet, cnn.</param>
/// <param name="DefaultInputSize">Side of the square input the weights were trained at.</param>
/// <param name="Layout">The forward pass as ordered steps over the module's children.</param>
/// <param name="Classifier">The final layer that maps features to the original classes (what "drop the
/// classifier" removes), e.g. <c>fc</c> or <c>classifier.6</c>; null for a headless model.</param>
/// <param name="DefaultNormalization">Preprocessing when no named weights are used (ImageNet statistics).</param>
/// <param name="Weights">Weights available by name, without a file from the user.</param>
/// <param name="Description">One line for listings.</param>
/// <param name="Factory">Builds the module with random initialisation and the given number of classes.</param>
public sealed record BaseArchitecture(
    string Name,
    string Family,
    int DefaultInputSize,
    IReadOnlyList<LayoutStep> Layout,
    string? Classifier,
    Normalization DefaultNormalization,
    IReadOnlyList<NamedWeights> Weights,
    string Description,
    Func<Module<Tensor, Tensor>> Factory)
{
    /// <summary>Channels of the input the network takes: 3 (RGB) unless the architecture says otherwise.</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>Ordered groups of top-level children for <c>first_stages: N</c>, when the family's rule (ResNet stem and
    /// layers; a <c>features</c> Sequential split by resolution) does not apply; null: that rule.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Stages { get; init; }

    /// <summary>Builds a fresh, randomly initialised instance with the original classifier.</summary>
    public Module<Tensor, Tensor> Create() => Factory();

    /// <summary>The normalisation that goes with <paramref name="weightsName"/> (null: a weights file, which is
    /// assumed to follow the architecture's default).</summary>
    public Normalization NormalizationFor(string? weightsName) =>
        weightsName is null ? DefaultNormalization
        : Weights.Find(weightsName)?.Normalization ?? DefaultNormalization;
}
