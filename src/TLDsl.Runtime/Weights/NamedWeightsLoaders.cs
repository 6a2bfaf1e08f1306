using System.Collections.Generic;
using TLDsl.Runtime.Models;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>Reads the weights an architecture knows by name.</summary>
internal static class NamedWeightsLoaders
{
    public static Dictionary<string, Tensor> Load(BaseArchitecture architecture, NamedWeights weights) =>
        (architecture.Name, weights.Name) switch
        {
            ("resnet18_imagenet", "imagenet") => ImageNetResNet18Weights.LoadStateDictCached(ImageNetResNet18Weights.Locate()).State,
            _ => throw new WeightsLoadException($"no loader for {architecture.Name} '{weights.Name}' weights."),
        };
}
