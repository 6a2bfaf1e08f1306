using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Parsing;

/// <summary>
/// Lenient accessors used after the structural check: a value that is missing or malformed yields the default,
/// because the checker has already reported it and the spec will not be returned anyway.
/// </summary>
internal static class TreeValues
{
    public static YMapping? Map(YNode? node) => node as YMapping;

    public static YMapping? Map(YMapping? parent, string key) => parent?.Get(key) as YMapping;

    public static YNode? Get(YMapping? parent, string key) => parent?.Get(key);

    public static bool Has(YMapping? parent, string key) => parent?.Find(key) is not null;

    public static string? Str(YNode? node) => node is YScalar { IsNull: false } s ? s.Value : null;

    public static string? Str(YMapping? parent, string key) => Str(parent?.Get(key));

    public static int? Int(YNode? node) =>
        node is YScalar s && s.TryGetInteger(out var value) && value >= int.MinValue && value <= int.MaxValue ? (int)value : null;

    public static int? Int(YMapping? parent, string key) => Int(parent?.Get(key));

    public static double? Num(YNode? node) => node is YScalar s && s.TryGetNumber(out var value) ? value : null;

    public static double? Num(YMapping? parent, string key) => Num(parent?.Get(key));

    public static bool? Bool(YMapping? parent, string key) =>
        parent?.Get(key) is YScalar s && s.TryGetBoolean(out var value) ? value : null;

    /// <summary>A list of words; a single word counts as a one-item list.</summary>
    public static IReadOnlyList<string> Strings(YNode? node) => node switch
    {
        YSequence seq => seq.Items.Select(Str).Where(s => s is not null).Select(s => s!).ToArray(),
        YScalar { IsNull: false } s => new[] { s.Value },
        _ => System.Array.Empty<string>(),
    };

    public static IReadOnlyList<double> Numbers(YNode? node) =>
        node is YSequence seq ? seq.Items.Select(Num).Where(n => n is not null).Select(n => n!.Value).ToArray() : System.Array.Empty<double>();

    public static IReadOnlyList<YNode> Items(YNode? node) => node is YSequence seq ? seq.Items : (IReadOnlyList<YNode>)System.Array.Empty<YNode>();

    /// <summary>A tagged value: <c>relu</c> → ("relu", null); <c>dropout: 0.2</c> → ("dropout", 0.2 node).</summary>
    public static (string? Tag, YNode? Body) Tag(YNode? node) => node switch
    {
        YScalar { IsNull: false } s => (s.Value, null),
        YMapping { Entries.Count: 1 } m => (m.Entries[0].Key.Value, m.Entries[0].Value is YScalar { IsNull: true } ? null : m.Entries[0].Value),
        _ => (null, null),
    };
}
