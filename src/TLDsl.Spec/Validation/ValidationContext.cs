using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Schema;
using TLDsl.Spec.Text;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Validation;

/// <summary>What the semantic checks share: where to report, where things are, and the resolved base model.</summary>
internal sealed class ValidationContext
{
    public ValidationContext(DiagnosticBag bag, NodeLocator locator, SchemaChecker checker)
    {
        Bag = bag;
        Locator = locator;
        Checker = checker;
    }

    public DiagnosticBag Bag { get; }

    public NodeLocator Locator { get; }

    public SchemaChecker Checker { get; }

    /// <summary>The base model's structure, or null when unknown at build time.</summary>
    public BaseModelInfo? Model { get; set; }

    /// <summary>Top-level children kept after drop/cut_at.</summary>
    public IReadOnlyList<ChildInfo> KeptChildren { get; set; } = System.Array.Empty<ChildInfo>();

    /// <summary>Module names kept after drop/cut_at.</summary>
    public IReadOnlyList<string> KeptModules { get; set; } = System.Array.Empty<string>();

    public void Report(SpecDiagnosticDescriptor descriptor, string path, params object?[] args) =>
        Bag.Report(descriptor, Locator.Value(path), args);

    /// <summary>Module names a pattern selects among the kept modules (descendants included); "head" is not handled here.</summary>
    public IReadOnlyList<string> SelectGlob(string pattern) => LayerPattern.SelectGlob(pattern, KeptModules);

    /// <summary>Reports TLD0018 for a pattern that selected nothing, listing the nearest names.</summary>
    public void ReportNoMatch(string what, string pattern, string path, bool atKey = false)
    {
        var nearest = Suggestions.Nearest(pattern.Replace("*", string.Empty), KeptModules.Concat(new[] { LayerPattern.Head }), 3);
        Bag.Report(DiagnosticDescriptors.PatternMatchesNothing, atKey ? Locator.Key(path) : Locator.Value(path), what, UserText.Quote(pattern), Model?.Name ?? "the model", string.Join(", ", nearest));
    }
}
