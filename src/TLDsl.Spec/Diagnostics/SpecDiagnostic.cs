using System.Globalization;

namespace TLDsl.Spec.Diagnostics;

/// <summary>
/// A problem found in a pipeline, located in the YAML file (<see cref="Span"/>) or at a C# attribute
/// (<see cref="LocationToken"/>, the opaque object the generator supplied with that attribute).
/// </summary>
/// <param name="Id">The catalogue id, e.g. <c>TLD0003</c>.</param>
/// <param name="Severity">Error, warning or info.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Span">Where in the text file, when the pipeline came from text.</param>
/// <param name="LocationToken">The caller's location object, when the pipeline came from attributes.</param>
public sealed record SpecDiagnostic(
    string Id,
    SpecDiagnosticSeverity Severity,
    string Message,
    SourceSpan? Span,
    object? LocationToken = null)
{
    /// <summary>The documentation link, <c>docs/diagnostics.md#tld0003</c>.</summary>
    public string HelpLink => "docs/diagnostics.md#" + Id.ToLowerInvariant();

    /// <summary>True for errors.</summary>
    public bool IsError => Severity == SpecDiagnosticSeverity.Error;

    /// <summary>
    /// The compiler-style line the CLI prints and the baselines hold: <c>path(line,col): error TLD0003: message</c>
    /// (without a span: <c>error TLD0003: message</c>).
    /// </summary>
    public string Format()
    {
        var severity = Severity switch
        {
            SpecDiagnosticSeverity.Error => "error",
            SpecDiagnosticSeverity.Warning => "warning",
            _ => "info",
        };
        return Span is null
            ? string.Format(CultureInfo.InvariantCulture, "{0} {1}: {2}", severity, Id, Message)
            : string.Format(CultureInfo.InvariantCulture, "{0}: {1} {2}: {3}", Span, severity, Id, Message);
    }

    /// <summary>Same as <see cref="Format"/>.</summary>
    public override string ToString() => Format();
}
