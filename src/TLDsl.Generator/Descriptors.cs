using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using TLDsl.Spec.Diagnostics;

namespace TLDsl.Generator;

/// <summary>Roslyn descriptors for TLDsl.Spec's catalogue: same id, title and help link; category "TLDsl".</summary>
internal static class Descriptors
{
    private static readonly Dictionary<string, DiagnosticDescriptor> ById = DiagnosticDescriptors.All.ToDictionary(
        d => d.Id,
        d => new DiagnosticDescriptor(d.Id, d.Title, "{0}", "TLDsl", Severity(d.Severity), isEnabledByDefault: true,
            description: null, helpLinkUri: d.HelpLink));

    public static Diagnostic Create(DiagnosticInfo info)
    {
        if (!ById.TryGetValue(info.Id, out var descriptor))
        {
            descriptor = new DiagnosticDescriptor(info.Id, info.Id, "{0}", "TLDsl", Severity(info.Severity), true,
                helpLinkUri: "docs/diagnostics.md#" + info.Id.ToLowerInvariant());
        }
        var location = info.Location?.ToLocation() ?? Location.None;
        // The descriptor's default severity follows the catalogue; the diagnostic's own severity wins where they differ.
        return Diagnostic.Create(descriptor, location, Severity(info.Severity), additionalLocations: null, properties: null, info.Message);
    }

    private static DiagnosticSeverity Severity(SpecDiagnosticSeverity severity) => severity switch
    {
        SpecDiagnosticSeverity.Error => DiagnosticSeverity.Error,
        SpecDiagnosticSeverity.Warning => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };
}
