using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Attributes;

/// <summary>
/// The attribute set and the named arguments each accepts (constructor arguments are fixed by the C# attribute
/// classes, which the generator defines following docs/pipeline-reference.md, "Attributes").
/// </summary>
internal static class AttributeTable
{
    /// <summary>Head layer attributes and the YAML tag each writes (from the head layer registry, plus
    /// <c>[LinearLabels]</c>, the attribute form of <c>linear: labels</c>); their first constructor argument is the order.</summary>
    public static readonly IReadOnlyDictionary<string, string> HeadLayers = BuildHeadLayers();

    public static readonly IReadOnlyDictionary<string, string[]> NamedArguments = BuildNamedArguments();

    private static Dictionary<string, string> BuildHeadLayers()
    {
        var table = new Dictionary<string, string>();
        foreach (var layer in Registries.HeadLayers.All)
        {
            table[layer.Attribute] = layer.Key;
            if (layer.Form == HeadLayerForm.Linear)
            {
                table["LinearLabels"] = layer.Key;
            }
        }

        return table;
    }

    private static Dictionary<string, string[]> BuildNamedArguments()
    {
        var table = new Dictionary<string, string[]>
        {
            ["TransferPipeline"] = new[] { "Description" },
            ["BaseModel"] = new[] { "Weights", "Sha256" },
            ["OnnxModel"] = new[] { "Layers" },
            ["Drop"] = System.Array.Empty<string>(),
            ["CutAt"] = System.Array.Empty<string>(),
            ["Input"] = new[] { "Channels", "Normalize", "Mean", "Std", "BgrMean" },
            ["Labels"] = System.Array.Empty<string>(),
            ["LabelsFromData"] = System.Array.Empty<string>(),
        };
        foreach (var attribute in HeadLayers.Keys)
        {
            var form = Registries.HeadLayers.All.First(l => l.Key == HeadLayers[attribute]).Form;
            table[attribute] = form switch
            {
                HeadLayerForm.Linear => new[] { "Bias", "In" },
                HeadLayerForm.Pool => new[] { "Kind" },
                HeadLayerForm.Dropout or HeadLayerForm.Norm or HeadLayerForm.Plain => System.Array.Empty<string>(),
                _ => throw new System.InvalidOperationException("head layer form " + form + " has no attribute arguments."),
            };
        }

        table["Freeze"] = new[] { "BatchNorm", "Regex", "FirstStages", "Backbone", "All" };
        table["Train"] = new[] { "Epochs", "Batch", "Seed", "Accumulate", "Optimizer", "Lr", "WeightDecay", "Momentum", "LabelSmoothing", "ClipGradNorm" };
        table["Phase"] = new[] { "Name", "Unfreeze", "Freeze", "Lr", "Schedule", "LrDecay", "Augment" };
        table["FineTune"] = new[] { "Epochs", "FreezeEpochs", "Lr", "LrDecay" };
        table["DataFolder"] = new[] { "Split", "SplitSeed", "LimitPerClass", "LimitSeed" };
        table["DataIdx"] = new[] { "Split", "SplitSeed", "LimitPerClass", "LimitSeed", "Classes" };
        table["DataCsv"] = new[] { "Root", "Split", "SplitSeed", "LimitPerClass", "LimitSeed" };
        table["Augment"] = System.Array.Empty<string>();
        table["Tta"] = System.Array.Empty<string>();
        table["Ema"] = new[] { "Warmup" };
        return table;
    }
}
