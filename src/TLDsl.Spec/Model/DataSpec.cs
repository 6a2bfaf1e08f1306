namespace TLDsl.Spec.Model;

/// <summary>Where samples come from. Paths are kept as written; resolve them with <see cref="Parsing.PipelinePaths"/>.</summary>
/// <param name="Train">Training samples.</param>
/// <param name="Valid">A separate validation source, or null.</param>
/// <param name="ValidSplit">A validation split of the training data, or null.</param>
/// <param name="Test">Test samples, or null.</param>
/// <param name="Augment">Training-time augmentations, in order.</param>
/// <param name="LimitPerClass">Use at most this many training samples per class (quick experiments), or null.</param>
/// <param name="LimitSeed">Seed of the <paramref name="LimitPerClass"/> draw, or null for <c>train.seed</c>; set it to
/// vary <c>train.seed</c> over the same images.</param>
/// <param name="Tta">Test-time augmentation views for evaluation and prediction (empty: none).</param>
public sealed record DataSpec(
    DataSourceSpec Train,
    DataSourceSpec? Valid,
    ValidSplitSpec? ValidSplit,
    DataSourceSpec? Test,
    EquatableArray<AugmentSpec> Augment,
    int? LimitPerClass,
    int? LimitSeed = null,
    EquatableArray<TtaViewSpec> Tta = default);

/// <summary>One data source.</summary>
/// <param name="Kind">Folder, IDX or CSV.</param>
/// <param name="Path">The folder, the IDX images file, or the CSV file, as written.</param>
/// <param name="LabelsPath">The IDX labels file, or null.</param>
/// <param name="Root">For CSV: the folder image paths are relative to (default: the CSV's folder), or null.</param>
/// <param name="Classes">For IDX: the label values of the file, in order, that become the pipeline's labels 0..n-1
/// (samples with other values are skipped); empty: the file's values are the pipeline's label ids.</param>
public sealed record DataSourceSpec(DataSourceKind Kind, string Path, string? LabelsPath, string? Root, EquatableArray<int> Classes = default);

/// <summary>Validation as a stratified-by-nothing random split of the training source.</summary>
/// <param name="Fraction">Fraction of training samples held out, in (0, 1).</param>
/// <param name="Seed">Shuffle seed of the split.</param>
public sealed record ValidSplitSpec(double Fraction, int Seed);

/// <summary>One test-time augmentation view.</summary>
/// <param name="View">Which view.</param>
public sealed record TtaViewSpec(TtaView View);
