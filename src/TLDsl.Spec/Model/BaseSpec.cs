namespace TLDsl.Spec.Model;

/// <summary>The pre-trained base model, its weights and what is removed from it.</summary>
/// <param name="Source">Catalogue model or ONNX file.</param>
/// <param name="Model">The catalogue name (for ONNX: null).</param>
/// <param name="OnnxPath">The ONNX file as written (relative to the pipeline file), or null.</param>
/// <param name="LayersPath">The ONNX layer listing file as written, or null.</param>
/// <param name="WeightsKind">None, named or file.</param>
/// <param name="Weights">The weights name or file path as written, or null for none.</param>
/// <param name="Sha256">Lower-case hex SHA-256 pin of the weights file, or null.</param>
/// <param name="Drop">Top-level layers removed, in model order (<c>classifier</c> expanded to the catalogue's names).</param>
/// <param name="CutAt">The last top-level layer kept (inclusive), or null.</param>
public sealed record BaseSpec(
    BaseModelSource Source,
    string? Model,
    string? OnnxPath,
    string? LayersPath,
    WeightsKind WeightsKind,
    string? Weights,
    string? Sha256,
    EquatableArray<string> Drop,
    string? CutAt);
