using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;

namespace TLDsl.Spec.Parsing;

/// <summary>
/// The outcome of reading a pipeline: the spec (null when any error) and every diagnostic in file order.
/// Value-equatable, so a generator can cache on it.
/// </summary>
/// <param name="Spec">The validated spec, or null when there is at least one error.</param>
/// <param name="Diagnostics">Every diagnostic (errors, warnings, infos).</param>
public sealed record PipelineParseResult(PipelineSpec? Spec, EquatableArray<SpecDiagnostic> Diagnostics)
{
    /// <summary>True when there is at least one error.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}
