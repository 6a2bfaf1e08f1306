using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Registries;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Surgery;

/// <summary>Builds the added layers, checking each against the shape it receives.</summary>
public static class HeadBuilder
{
    /// <summary>Builds the head for a backbone whose per-sample output has shape <paramref name="featureShape"/>.</summary>
    /// <returns>The layers (named 0, 1, ...) and the per-sample output shape.</returns>
    /// <exception cref="SurgeryException">A layer does not fit its input (e.g. linear on a feature map).</exception>
    public static (TorchSharp.Modules.Sequential Head, long[] OutputShape) Build(IReadOnlyList<HeadLayer> layers, IReadOnlyList<long> featureShape)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var shape = featureShape.ToArray();
        var modules = new List<(string, Module<Tensor, Tensor>)>();
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            string where = $"head layer {i + 1} ({HeadLayers.Of(layer.Kind).Display})";
            bool spatial = shape.Length == 3;
            Module<Tensor, Tensor> module;
            switch (layer.Kind)
            {
                case HeadLayerKind.Linear:
                    RequireFlat(where, shape, "linear");
                    if (layer.Size <= 0)
                    {
                        throw new SurgeryException($"{where}: a linear layer needs a positive size, got {layer.Size}.");
                    }
                    module = Linear(shape[0], layer.Size, hasBias: layer.Bias);
                    shape = [layer.Size];
                    break;
                case HeadLayerKind.Relu: module = ReLU(); break;
                case HeadLayerKind.Gelu: module = GELU(); break;
                case HeadLayerKind.Silu: module = SiLU(); break;
                case HeadLayerKind.Hardswish: module = Hardswish(); break;
                case HeadLayerKind.Dropout:
                    if (layer.Probability is < 0 or >= 1)
                    {
                        throw new SurgeryException($"{where}: dropout probability must be in [0, 1), got {layer.Probability.ToString(CultureInfo.InvariantCulture)}.");
                    }
                    module = Dropout(layer.Probability);
                    break;
                case HeadLayerKind.BatchNorm:
                    module = spatial ? BatchNorm2d(shape[0]) : BatchNorm1d(shape[0]);
                    break;
                case HeadLayerKind.LayerNorm:
                    RequireFlat(where, shape, "layernorm");
                    module = LayerNorm([shape[0]]);
                    break;
                case HeadLayerKind.Flatten:
                    module = Flatten();
                    shape = [shape.Aggregate(1L, (a, b) => a * b)];
                    break;
                case HeadLayerKind.AvgPool or HeadLayerKind.MaxPool or HeadLayerKind.ConcatPool:
                    if (!spatial)
                    {
                        throw new SurgeryException($"{where}: pooling needs a feature map [C, H, W], but the input is already flat {Show(shape)}.");
                    }
                    module = new GlobalPool(layer.Kind);
                    shape = [layer.Kind == HeadLayerKind.ConcatPool ? 2 * shape[0] : shape[0]];
                    break;
                default:
                    throw new SurgeryException($"{where}: this runtime cannot build a '{layer.Kind}' layer.");
            }
            modules.Add((i.ToString(CultureInfo.InvariantCulture), module));
        }
        return (Sequential(modules.ToArray()), shape);
    }

    private static void RequireFlat(string where, long[] shape, string kind)
    {
        if (shape.Length != 1)
        {
            throw new SurgeryException($"{where}: {kind} needs flat features, but the backbone gives a feature map {Show(shape)}; add 'pool: avg' (or max/concat) or 'flatten' before it.");
        }
    }

    private static string Show(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
