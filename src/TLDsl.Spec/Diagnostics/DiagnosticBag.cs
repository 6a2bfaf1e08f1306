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

    /// <summary>
    /// The most characters of any one message argument: user values are quoted shorter where they are passed
    /// (<see cref="Text.UserText.Quote"/>); this also bounds arguments that embed user text, such as a key path.
    /// </summary>
    public const int MaxArgument = 400;

    public void Report(SpecDiagnosticDescriptor descriptor, NodeLocation? location, params object?[] args) =>
        _items.Add(new SpecDiagnostic(
            descriptor.Id,
            descriptor.Severity,
            descriptor.FormatMessage(Safe(args)),
            location?.Span,
            location?.Token));

    public void Add(SpecDiagnostic diagnostic) => _items.Add(diagnostic);

    // Every string argument is escaped and bounded, so no message prints a raw newline, NUL or megabyte of user text.
    private static object?[] Safe(object?[] args)
    {
        var safe = new object?[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            safe[i] = args[i] is string text ? Text.UserText.Escape(text, MaxArgument) : args[i];
        }

        return safe;
    }
}
