using System.Collections.Generic;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>How an ONNX graph is imported.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>The defaults.</summary>
    public static OnnxImportOptions Default { get; } = new();

    /// <summary>Layer names the importer must not produce (a suffix is added instead): names the surrounding model
    /// uses for its own children, such as <c>head</c>.</summary>
    public IReadOnlyCollection<string> ReservedNames { get; init; } = ["head", "onnx"];

    /// <summary>The graph output to compute; null: the graph's first output.</summary>
    public string? Output { get; init; }
}
