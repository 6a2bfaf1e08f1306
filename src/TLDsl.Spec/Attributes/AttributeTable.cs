using System.Collections.Generic;

namespace TLDsl.Spec.Attributes;

/// <summary>
/// The attribute set and the named arguments each accepts (constructor arguments are fixed by the C# attribute
/// classes, which the generator defines following docs/pipeline-reference.md, "Attributes").
/// </summary>
internal static class AttributeTable
{
    public static readonly IReadOnlyDictionary<string, string[]> NamedArguments = new Dictionary<string, string[]>
    {
        ["TransferPipeline"] = new[] { "Description" },
        ["BaseModel"] = new[] { "Weights", "Sha256" },
        ["OnnxModel"] = new[] { "Layers" },
        ["Drop"] = System.Array.Empty<string>(),
        ["CutAt"] = System.Array.Empty<string>(),
        ["Input"] = new[] { "Channels", "Normalize", "Mean", "Std", "BgrMean" },
        ["Labels"] = System.Array.Empty<string>(),
        ["LabelsFromData"] = System.Array.Empty<string>(),
        ["Linear"] = new[] { "Bias", "In" },
        ["LinearLabels"] = new[] { "Bias", "In" },
        ["Relu"] = System.Array.Empty<string>(),
        ["Gelu"] = System.Array.Empty<string>(),
        ["Silu"] = System.Array.Empty<string>(),
        ["Dropout"] = System.Array.Empty<string>(),
        ["BatchNorm"] = System.Array.Empty<string>(),
        ["LayerNorm"] = System.Array.Empty<string>(),
        ["Flatten"] = System.Array.Empty<string>(),
        ["Pool"] = new[] { "Kind" },
        ["Freeze"] = new[] { "BatchNorm", "Regex", "FirstStages", "Backbone", "All" },
        ["Train"] = new[] { "Epochs", "Batch", "Seed", "Accumulate", "Optimizer", "Lr", "WeightDecay", "Momentum", "LabelSmoothing", "ClipGradNorm" },
        ["Phase"] = new[] { "Name", "Unfreeze", "Freeze", "Lr", "Schedule", "LrDecay", "Augment" },
        ["FineTune"] = new[] { "Epochs", "FreezeEpochs", "Lr", "LrDecay" },
        ["DataFolder"] = new[] { "Split", "SplitSeed", "LimitPerClass", "LimitSeed" },
        ["DataIdx"] = new[] { "Split", "SplitSeed", "LimitPerClass", "LimitSeed", "Classes" },
        ["DataCsv"] = new[] { "Root", "Split", "SplitSeed", "LimitPerClass", "LimitSeed" },
    };

    /// <summary>Head layer attributes: their first constructor argument is the order.</summary>
    public static readonly IReadOnlyDictionary<string, string> HeadLayers = new Dictionary<string, string>
    {
        ["Linear"] = "linear",
        ["LinearLabels"] = "linear",
        ["Relu"] = "relu",
        ["Gelu"] = "gelu",
        ["Silu"] = "silu",
        ["Dropout"] = "dropout",
        ["BatchNorm"] = "batchnorm",
        ["LayerNorm"] = "layernorm",
        ["Flatten"] = "flatten",
        ["Pool"] = "pool",
    };
}
