using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Model;

/// <summary>
/// One head layer. <see cref="InFeatures"/> is the resolved feature (or channel) count the layer receives
/// (null when the base model's structure is unknown at build time, e.g. ONNX without a listing).
/// </summary>
/// <param name="Kind">The layer kind.</param>
/// <param name="InFeatures">Resolved input features/channels, or null.</param>
public abstract record HeadLayerSpec(HeadLayerKind Kind, int? InFeatures);

/// <summary>A fully connected layer.</summary>
/// <param name="InFeatures">Resolved input features, or null.</param>
/// <param name="OutFeatures">Output features; for <c>linear: labels</c> the label count (null when labels come from data).</param>
/// <param name="OutIsLabels">True for <c>linear: labels</c>.</param>
/// <param name="Bias">Whether the layer has a bias.</param>
public sealed record LinearLayerSpec(int? InFeatures, int? OutFeatures, bool OutIsLabels, bool Bias)
    : HeadLayerSpec(HeadLayerKind.Linear, InFeatures);

/// <summary>A layer with no options and no parameters (<see cref="HeadLayerForm.Plain"/>): relu, gelu, silu, flatten, ...</summary>
/// <param name="Kind">Which one.</param>
/// <param name="InFeatures">Resolved input features, or null.</param>
public sealed record SimpleLayerSpec(HeadLayerKind Kind, int? InFeatures)
    : HeadLayerSpec(Kind, InFeatures);

/// <summary>Dropout.</summary>
/// <param name="InFeatures">Resolved input features, or null.</param>
/// <param name="P">Drop probability in [0, 1).</param>
public sealed record DropoutLayerSpec(int? InFeatures, double P)
    : HeadLayerSpec(HeadLayerKind.Dropout, InFeatures);

/// <summary>BatchNorm or LayerNorm.</summary>
/// <param name="Kind">BatchNorm or LayerNorm.</param>
/// <param name="InFeatures">Resolved features (or channels, for BatchNorm on a spatial map), or null.</param>
/// <param name="Spatial">True when the input is a spatial map (BatchNorm2d).</param>
public sealed record NormLayerSpec(HeadLayerKind Kind, int? InFeatures, bool Spatial)
    : HeadLayerSpec(Kind, InFeatures);

/// <summary>Global pooling.</summary>
/// <param name="Kind">AvgPool, MaxPool or ConcatPool.</param>
/// <param name="InFeatures">Resolved input channels, or null.</param>
public sealed record PoolLayerSpec(HeadLayerKind Kind, int? InFeatures)
    : HeadLayerSpec(Kind, InFeatures);
