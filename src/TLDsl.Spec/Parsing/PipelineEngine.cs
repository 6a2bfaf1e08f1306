using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Schema;
using TLDsl.Spec.Validation;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Parsing;

/// <summary>The stages every pipeline goes through, whether it came from YAML or from attributes.</summary>
internal static class PipelineEngine
{
    public static PipelineParseResult Run(
        YNode? root,
        NodeLocation rootLocation,
        string filePath,
        string defaultName,
        PipelineParseOptions options,
        DiagnosticBag bag,
        IReadOnlyList<UpgradeStep> steps)
    {
        if (root is not YMapping mapping)
        {
            bag.Report(DiagnosticDescriptors.WrongType, root?.Location ?? rootLocation, "The pipeline", "a mapping of keys (version, base, labels, train...)", root?.Describe() ?? "empty");
            return Finish(null, bag);
        }

        if (!PipelineUpgrader.Upgrade(mapping, steps, bag))
        {
            return Finish(null, bag);
        }

        var checker = new SchemaChecker(bag);
        checker.Check(PipelineKeys.Root, mapping, string.Empty, rootLocation);
        var spec = SpecBuilder.Build(mapping, defaultName);
        var context = new ValidationContext(bag, new NodeLocator(mapping, rootLocation), checker);
        var resolved = new SpecValidator(context, options.Catalogue ?? ModelCatalogue.Default, options, filePath).Validate(spec);
        return Finish(resolved, bag);
    }

    public static PipelineParseResult Finish(PipelineSpec? spec, DiagnosticBag bag)
    {
        // File order reads best; the sort is stable, so diagnostics at one place keep the order they were found in.
        var ordered = bag.Items
            .Select((d, i) => (d, i))
            .OrderBy(x => x.d.Span?.Offset ?? -1)
            .ThenBy(x => x.i)
            .Select(x => x.d);
        return new PipelineParseResult(bag.HasErrors ? null : spec, EquatableArray.From(ordered));
    }
}
