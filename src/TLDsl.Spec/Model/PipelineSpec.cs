namespace TLDsl.Spec.Model;

/// <summary>
/// A validated pipeline: immutable, value-equatable, free of locations. Defaults are filled in and
/// catalogue-derived values resolved (input size, normalisation statistics, head feature sizes, label count).
/// </summary>
/// <param name="Version">The language version the file was written in, after upgrading: always the current one.</param>
/// <param name="Name">A C# identifier; generated types are named after it.</param>
/// <param name="Description">Free text, or null.</param>
/// <param name="Base">The pre-trained model and what to drop.</param>
/// <param name="Input">Input size, channels and normalisation.</param>
/// <param name="Labels">The classes.</param>
/// <param name="Head">Layers added after the base model, in order.</param>
/// <param name="Freeze">Freeze rules applied before the first phase, in order.</param>
/// <param name="Data">Data sources and augmentation, or null when the pipeline only defines a model.</param>
/// <param name="Train">Training settings and phases.</param>
public sealed record PipelineSpec(
    int Version,
    string Name,
    string? Description,
    BaseSpec Base,
    InputSpec Input,
    LabelsSpec Labels,
    EquatableArray<HeadLayerSpec> Head,
    EquatableArray<FreezeRuleSpec> Freeze,
    DataSpec? Data,
    TrainSpec Train);
