using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis.Text;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace TLDsl.Generator;

/// <summary>A valid pipeline's name and where it comes from: <see cref="Key"/> orders pipelines (file path, then class),
/// <see cref="Display"/> names it in a message.</summary>
internal sealed record PipelineName(string Name, string Key, string Display);

/// <summary>
/// One name per pipeline in a project: the generated types (<c>&lt;Name&gt;Model</c>...), their hint names and the
/// default runs folder are named after it, so a second pipeline with a name already taken (ignoring case, as hint
/// names and Windows folders do) gets TLD0042 at its name and no code; the first in path order keeps its code.
/// </summary>
internal static class PipelineNames
{
    public static PipelineName? Of(ParsedPipeline p) => p.Spec is { } spec && p.Diagnostics.All(d => d.Severity != SpecDiagnosticSeverity.Error)
        ? new PipelineName(spec.Name, Key(p), p.AttributeClass is null ? p.SourcePath : $"class {p.AttributeClass} ({p.SourcePath})")
        : null;

    public static EquatableArray<PipelineName> All(IEnumerable<PipelineName?> names) =>
        EquatableArray.From(names.OfType<PipelineName>().OrderBy(n => n.Key, StringComparer.Ordinal));

    /// <summary><paramref name="p"/> as it is, or, when an earlier pipeline has its name, without a spec and with TLD0042.</summary>
    public static ParsedPipeline Unique(ParsedPipeline p, EquatableArray<PipelineName> names)
    {
        if (Of(p) is not { } self)
        {
            return p;
        }
        var first = names.FirstOrDefault(n => string.Equals(n.Name, self.Name, StringComparison.OrdinalIgnoreCase));
        if (first is null || first.Key == self.Key)
        {
            return p;
        }
        var location = p.NameLocation ?? (p.AttributeClass is null ? YamlNameLocation(p.Text, p.FilePath) : null) ?? LocationInfo.From(SourceSpan.StartOf(p.FilePath));
        var error = new DiagnosticInfo(DiagnosticDescriptors.DuplicatePipelineName.Id, SpecDiagnosticSeverity.Error,
            DiagnosticDescriptors.DuplicatePipelineName.FormatMessage(self.Name, first.Display), location);
        return p with { Spec = null, Diagnostics = EquatableArray.From(p.Diagnostics.Append(error)) };
    }

    private static string Key(ParsedPipeline p) => p.FilePath.Replace('\\', '/') + "|" + (p.AttributeClass ?? "");

    /// <summary>The top-level <c>name</c> key of a valid YAML pipeline (block or flow style), or null when the name comes
    /// from the file name. Only the events of one small, already validated document are read; aliases are not expanded.</summary>
    internal static LocationInfo? YamlNameLocation(string text, string path)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            // Per open collection: is it a mapping, and is its next node a key?
            var open = new Stack<(bool Mapping, bool AtKey)>();
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        Consumed(open);
                        open.Push((parser.Current is MappingStart, true));
                        break;
                    case MappingEnd or SequenceEnd:
                        open.Pop();
                        break;
                    case Scalar scalar:
                        if (open.Count == 1 && open.Peek() is (true, true) && scalar.Value == "name")
                        {
                            return At(path, scalar.Start, scalar.End);
                        }
                        Consumed(open);
                        break;
                    case AnchorAlias:
                        Consumed(open);
                        break;
                }
            }
        }
#pragma warning disable CA1031 // the generator must never throw into the compiler
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            // The document was already read without errors; should reading it here ever fail, the file's start will do.
        }
        return null;
    }

    private static void Consumed(Stack<(bool Mapping, bool AtKey)> open)
    {
        if (open.Count > 0 && open.Peek() is (true, var atKey))
        {
            open.Pop();
            open.Push((true, !atKey));
        }
    }

    private static LocationInfo At(string path, Mark start, Mark end) => new(
        path,
        new TextSpan((int)start.Index, (int)(end.Index - start.Index)),
        new LinePositionSpan(new LinePosition((int)start.Line - 1, (int)start.Column - 1), new LinePosition((int)end.Line - 1, (int)end.Column - 1)));
}
