using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;

namespace TLDsl.Spec.Parsing;

/// <summary>The outcome of reading a pipeline: the spec (null when any error) and every diagnostic, in file order.</summary>
public sealed class PipelineParseResult
{
    internal PipelineParseResult(PipelineSpec? spec, IReadOnlyList<SpecDiagnostic> diagnostics)
    {
        Spec = spec;
        Diagnostics = diagnostics;
    }

    /// <summary>The validated spec, or null when there is at least one error.</summary>
    public PipelineSpec? Spec { get; }

    /// <summary>Every diagnostic (errors, warnings, infos).</summary>
    public IReadOnlyList<SpecDiagnostic> Diagnostics { get; }

    /// <summary>True when there is at least one error.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}
