using System;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Spec.Registries;

/// <summary>The kinds of layer a pipeline can add after the backbone (<c>head:</c>).</summary>
public enum HeadLayerKind
{
    /// <summary>Fully connected.</summary>
    Linear,

    /// <summary>ReLU.</summary>
    Relu,

    /// <summary>GELU.</summary>
    Gelu,

    /// <summary>SiLU (swish).</summary>
    Silu,

    /// <summary>Hard swish (MobileNetV3's x · ReLU6(x + 3) / 6).</summary>
    Hardswish,

    /// <summary>Dropout.</summary>
    Dropout,

    /// <summary>BatchNorm over the features (1d on a vector, 2d on a feature map).</summary>
    BatchNorm,

    /// <summary>LayerNorm over a feature vector.</summary>
    LayerNorm,

    /// <summary>Flattens everything after the batch dimension.</summary>
    Flatten,

    /// <summary>Global average pool of a feature map, flattened.</summary>
    AvgPool,

    /// <summary>Global max pool of a feature map, flattened.</summary>
    MaxPool,

    /// <summary>fastai's concat pool: average and max pooled features side by side (twice the channels).</summary>
    ConcatPool,
}

/// <summary>Which options a head layer takes, and so which <see cref="Model.HeadLayerSpec"/> holds it.</summary>
public enum HeadLayerForm
{
    /// <summary><c>linear: N | labels | {out, in, bias}</c> (<see cref="Model.LinearLayerSpec"/>).</summary>
    Linear,

    /// <summary><c>dropout: p</c> (<see cref="Model.DropoutLayerSpec"/>).</summary>
    Dropout,

    /// <summary>A normalisation sized by its input (<see cref="Model.NormLayerSpec"/>).</summary>
    Norm,

    /// <summary><c>pool: avg | max | concat</c> (<see cref="Model.PoolLayerSpec"/>).</summary>
    Pool,

    /// <summary>A bare word with no options and no parameters (<see cref="Model.SimpleLayerSpec"/>).</summary>
    Plain,
}

/// <summary>Everything each hop needs to know about a head layer kind.</summary>
/// <param name="Kind">The enum value.</param>
/// <param name="Key">The YAML tag (<c>relu</c>, <c>pool</c>).</param>
/// <param name="Argument">For the kinds that share a tag, the tag's value (<c>pool: max</c>); the first kind of a tag is
/// its default.</param>
/// <param name="Attribute">The C# attribute (<c>[Relu(order)]</c>); kinds sharing a tag share it.</param>
/// <param name="Form">Which options it takes.</param>
/// <param name="FieldType">The generated model's field type (and the runtime module's type), without <c>global::</c>.</param>
/// <param name="PyTorch">The module in PyTorch, for the export README: <c>{in}</c> and <c>{out}</c> are the weight's last and
/// first dimensions, <c>{p}</c> the dropout probability, <c>{bias}</c> True or False.</param>
/// <param name="Description">One line for the schema and the docs (the first kind of a shared tag describes the tag).</param>
public sealed record HeadLayerInfo(HeadLayerKind Kind, string Key, string? Argument, string Attribute, HeadLayerForm Form,
    string FieldType, string PyTorch, string Description)
{
    /// <summary>The field type on a spatial input, where it differs (BatchNorm2d).</summary>
    public string? SpatialFieldType { get; init; }

    /// <summary>A comment the export README puts after the module, or null.</summary>
    public string? PyTorchNote { get; init; }

    /// <summary>Python the module needs defined first (a class torch lacks), or null.</summary>
    public string? PyTorchDefinition { get; init; }

    /// <summary>How the generated code and the error messages name it: <c>relu</c>, <c>pool: max</c>.</summary>
    public string Display => Argument is null ? Key : Key + ": " + Argument;

    /// <summary>The PyTorch module for a layer whose weight has <paramref name="weightShape"/> (empty when it has none).</summary>
    public string PyTorchFor(IReadOnlyList<long> weightShape, double p, bool bias)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return PyTorch
            .Replace("{in}", (weightShape.Count > 0 ? weightShape[weightShape.Count - 1] : 0).ToString(c))
            .Replace("{out}", (weightShape.Count > 0 ? weightShape[0] : 0).ToString(c))
            .Replace("{p}", p.ToString(c))
            .Replace("{bias}", bias ? "True" : "False");
    }
}

/// <summary>The head layer registry: the schema, the Spec builder, the attribute table, the generator, the runtime and the
/// exporters all read it, and a test pushes every entry through every one of them.</summary>
public static class HeadLayers
{
    /// <summary>Every kind, in documentation order.</summary>
    public static IReadOnlyList<HeadLayerInfo> All { get; } = Build(
        new(HeadLayerKind.Linear, "linear", null, "Linear", HeadLayerForm.Linear, "TorchSharp.Modules.Linear",
            "torch.nn.Linear({in}, {out}, bias={bias})", "Fully connected layer: linear: N, linear: labels, or {out, in, bias}."),
        new(HeadLayerKind.Relu, "relu", null, "Relu", HeadLayerForm.Plain, "TorchSharp.Modules.ReLU", "torch.nn.ReLU()", "ReLU activation."),
        new(HeadLayerKind.Gelu, "gelu", null, "Gelu", HeadLayerForm.Plain, "TorchSharp.Modules.GELU", "torch.nn.GELU()", "GELU activation."),
        new(HeadLayerKind.Silu, "silu", null, "Silu", HeadLayerForm.Plain, "TorchSharp.Modules.SiLU", "torch.nn.SiLU()", "SiLU (swish) activation."),
        new(HeadLayerKind.Hardswish, "hardswish", null, "Hardswish", HeadLayerForm.Plain, "TorchSharp.Modules.Hardswish", "torch.nn.Hardswish()",
            "Hard swish activation (MobileNetV3's)."),
        new(HeadLayerKind.Dropout, "dropout", null, "Dropout", HeadLayerForm.Dropout, "TorchSharp.Modules.Dropout", "torch.nn.Dropout({p})",
            "Dropout with probability p in [0, 1)."),
        new(HeadLayerKind.BatchNorm, "batchnorm", null, "BatchNorm", HeadLayerForm.Norm, "TorchSharp.Modules.BatchNorm1d",
            "torch.nn.BatchNorm1d({in})", "BatchNorm (1d on vectors, 2d on spatial maps).")
        {
            SpatialFieldType = "TorchSharp.Modules.BatchNorm2d",
            PyTorchNote = "BatchNorm2d on a feature map",
        },
        new(HeadLayerKind.LayerNorm, "layernorm", null, "LayerNorm", HeadLayerForm.Norm, "TorchSharp.Modules.LayerNorm",
            "torch.nn.LayerNorm({in})", "LayerNorm over the feature vector."),
        new(HeadLayerKind.Flatten, "flatten", null, "Flatten", HeadLayerForm.Plain, "TorchSharp.Modules.Flatten", "torch.nn.Flatten()",
            "Flatten to a vector."),
        new(HeadLayerKind.AvgPool, "pool", "avg", "Pool", HeadLayerForm.Pool, "TLDsl.Runtime.Surgery.GlobalPool",
            "torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())", "Global pooling: avg (default), max, or concat (avg and max: twice the channels)."),
        new(HeadLayerKind.MaxPool, "pool", "max", "Pool", HeadLayerForm.Pool, "TLDsl.Runtime.Surgery.GlobalPool",
            "torch.nn.Sequential(torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten())", "Global max pooling of a feature map."),
        new(HeadLayerKind.ConcatPool, "pool", "concat", "Pool", HeadLayerForm.Pool, "TLDsl.Runtime.Surgery.GlobalPool",
            "ConcatPool()", "Global average and max pooling side by side: twice the channels.")
        {
            PyTorchDefinition = "class ConcatPool(torch.nn.Module):\n"
                + "    def forward(self, x):\n"
                + "        return torch.cat([torch.nn.functional.adaptive_avg_pool2d(x, 1), torch.nn.functional.adaptive_max_pool2d(x, 1)], 1).flatten(1)\n",
        });

    /// <summary>The entry of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a member of the enum.</exception>
    public static HeadLayerInfo Of(HeadLayerKind kind) =>
        All.FirstOrDefault(e => e.Kind == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a head layer kind.");

    /// <summary>The kind a YAML tag (and its value, for shared tags) names; null when none does.</summary>
    public static HeadLayerInfo? Find(string key, string? argument) =>
        All.FirstOrDefault(e => e.Key == key && (argument is null || e.Argument is null || e.Argument == argument));

    /// <summary>The YAML tags, in documentation order, each once.</summary>
    public static IEnumerable<string> Keys => All.Select(e => e.Key).Distinct();

    private static HeadLayerInfo[] Build(params HeadLayerInfo[] entries)
    {
        var missing = ((HeadLayerKind[])Enum.GetValues(typeof(HeadLayerKind))).Where(k => !entries.Any(e => e.Kind == k)).ToArray();
        if (missing.Length > 0 || entries.Select(e => e.Kind).Distinct().Count() != entries.Length)
        {
            throw new InvalidOperationException("the head layer registry must list every HeadLayerKind once; missing: " + string.Join(", ", missing) + ".");
        }
        return entries;
    }
}
