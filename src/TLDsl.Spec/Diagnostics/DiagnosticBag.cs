using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Spec.Diagnostics;

/// <summary>Collects diagnostics in the order found; readers report everything and never stop at the first.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<SpecDiagnostic> _items = new();

    public IReadOnlyList<SpecDiagnostic> Items => _items;

    public bool HasErrors => _items.Any(d => d.IsError);

    public int ErrorCount => _items.Count(d => d.IsError);

    public void Report(SpecDiagnosticDescriptor descriptor, NodeLocation? location, params object?[] args) =>
        _items.Add(new SpecDiagnostic(
            descriptor.Id,
            descriptor.Severity,
            descriptor.FormatMessage(args),
            location?.Span,
            location?.Token));

    public void Add(SpecDiagnostic diagnostic) => _items.Add(diagnostic);
}
