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
            // PENDING: the ONNX-mapped loader lands with the ImageNet weights reader.
            _ => throw new WeightsLoadException($"no loader for {architecture.Name} '{weights.Name}' weights."),
        };
}
