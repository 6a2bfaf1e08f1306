namespace TLDsl.Spec.Diagnostics;

/// <summary>Where a value came from: a span in a text file, or the caller's token for an attribute (or both).</summary>
internal sealed record NodeLocation(SourceSpan? Span, object? Token)
{
    public static NodeLocation Unknown { get; } = new(null, null);
}
