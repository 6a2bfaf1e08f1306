using System.Globalization;

namespace TLDsl.Spec.Diagnostics;

/// <summary>One entry of the diagnostic catalogue: a stable id, a title, and the message format.</summary>
/// <param name="Id">The id, <c>TLD0001</c> and up; never reused.</param>
/// <param name="Title">A short title (the heading in <c>docs/diagnostics.md</c>).</param>
/// <param name="MessageFormat">A composite format string (<c>{0}</c>, <c>{1}</c>...) formatted with invariant culture.</param>
/// <param name="Severity">The default severity.</param>
public sealed record SpecDiagnosticDescriptor(
    string Id,
    string Title,
    string MessageFormat,
    SpecDiagnosticSeverity Severity)
{
    /// <summary>The documentation link, <c>docs/diagnostics.md#tld0001</c>.</summary>
    public string HelpLink => "docs/diagnostics.md#" + Id.ToLowerInvariant();

    /// <summary>Formats the message with invariant culture.</summary>
    /// <param name="args">The format arguments.</param>
    public string FormatMessage(params object?[] args) =>
        string.Format(CultureInfo.InvariantCulture, MessageFormat, args);
}
