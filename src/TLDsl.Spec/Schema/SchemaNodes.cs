using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace TLDsl.Spec.Schema;

/// <summary>
/// A node of the language's key table. The same table drives the structural checker (unknown keys, types, ranges,
/// allowed values) and the JSON schema writer, so the schema cannot drift from what the reader accepts.
/// </summary>
internal abstract class SchemaNode
{
    public string Doc { get; set; } = string.Empty;

    /// <summary>What a valid value looks like, for messages: "an integer >= 1".</summary>
    public abstract string Expectation { get; }
}

internal sealed class PropertyNode
{
    public PropertyNode(string name, SchemaNode node, bool required, string doc)
    {
        Name = name;
        Node = node;
        Required = required;
        Node.Doc = doc;
    }

    public string Name { get; }

    public SchemaNode Node { get; }

    public bool Required { get; }
}

/// <summary>A mapping with known keys (strict), or arbitrary keys whose values share one schema (<see cref="AnyKey"/>).</summary>
internal sealed class ObjectNode : SchemaNode
{
    public List<PropertyNode> Properties { get; } = new();

    /// <summary>Schema of values under arbitrary keys (e.g. the lr map pattern → number), or null for strict objects.</summary>
    public SchemaNode? AnyKey { get; set; }

    /// <summary>Groups of keys of which exactly one must be present.</summary>
    public List<string[]> ExactlyOne { get; } = new();

    /// <summary>Groups of keys of which at most one may be present.</summary>
    public List<string[]> AtMostOne { get; } = new();

    public override string Expectation => "a mapping";

    public PropertyNode? Find(string name) => Properties.Find(p => p.Name == name);

    public ObjectNode Add(string name, SchemaNode node, string doc, bool required = false)
    {
        Properties.Add(new PropertyNode(name, node, required, doc));
        return this;
    }

    public ObjectNode OneOf(params string[] keys)
    {
        ExactlyOne.Add(keys);
        return this;
    }

    public ObjectNode NotTogether(params string[] keys)
    {
        AtMostOne.Add(keys);
        return this;
    }
}

internal sealed class ArrayNode : SchemaNode
{
    public ArrayNode(SchemaNode items, int minItems = 0, int? maxItems = null, bool allowSingle = false)
    {
        Items = items;
        MinItems = minItems;
        MaxItems = maxItems;
        AllowSingle = allowSingle;
    }

    public SchemaNode Items { get; }

    public int MinItems { get; }

    public int? MaxItems { get; }

    /// <summary>A single scalar is accepted as a one-item list (<c>drop: fc</c>).</summary>
    public bool AllowSingle { get; }

    public override string Expectation => MaxItems == MinItems && MinItems > 0
        ? "a list of exactly " + MinItems.ToString(CultureInfo.InvariantCulture) + " items"
        : MinItems > 0 ? "a list of at least " + MinItems.ToString(CultureInfo.InvariantCulture) + " item" + (MinItems == 1 ? string.Empty : "s") : "a list";
}

internal sealed class StringNode : SchemaNode
{
    public StringNode(IEnumerable<string>? allowed = null, string? pattern = null, string? patternDoc = null)
    {
        Allowed = allowed?.ToArray();
        Pattern = pattern;
        PatternDoc = patternDoc ?? pattern;
    }

    public string[]? Allowed { get; }

    /// <summary>A regex the whole value must match (JSON-schema compatible syntax).</summary>
    public string? Pattern { get; }

    public string? PatternDoc { get; }

    /// <summary>Longest accepted value in characters (names that become file or folder names), or null.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Rejects control characters (NUL, newline, tab...): the value becomes a path, a file name or a line of a file.</summary>
    public bool NoControl { get; init; }

    /// <summary>A path: each segment between '/' or '\' may have at most this many characters (file systems allow 255), or null.</summary>
    public int? MaxSegment { get; init; }

    public override string Expectation => Allowed is null ? "a string" : "one of " + Text.Suggestions.QuoteList(Allowed);

    /// <summary>What a value must look like beyond being a string (for messages); null when any string is.</summary>
    public string? FormatDoc
    {
        get
        {
            var limits = MaxLength is { } max ? " of at most " + max.ToString(CultureInfo.InvariantCulture) + " characters" : string.Empty;
            if (MaxSegment is { } segment)
            {
                limits += " (at most " + segment.ToString(CultureInfo.InvariantCulture) + " between separators)";
            }

            if (NoControl)
            {
                limits += " without control characters";
            }

            return PatternDoc is not null ? PatternDoc + limits
                : limits.Length == 0 ? null
                : (MaxSegment is null ? "a name" : "a path") + limits;
        }
    }

    // The whole value: .NET's '$' also matches before a final newline, so "Abc\n" would pass "^[A-Za-z_]+$".
    public bool PatternMatches(string value)
    {
        if (Pattern is null)
        {
            return true;
        }

        var match = Regex.Match(value, Pattern, RegexOptions.CultureInvariant);
        return match.Success && match.Index == 0 && match.Length == value.Length;
    }

    /// <summary>True when the value has the pattern, length and characters this node requires.</summary>
    public bool FormatMatches(string value) => PatternMatches(value) && WithinLimits(value);

    private bool WithinLimits(string value)
    {
        if (MaxLength is { } max && value.Length > max)
        {
            return false;
        }

        if (NoControl && value.Any(char.IsControl))
        {
            return false;
        }

        return MaxSegment is not { } segment || value.Split('/', '\\').All(s => s.Length <= segment);
    }
}

internal sealed class NumberNode : SchemaNode
{
    public bool Integer { get; init; }

    public double? Min { get; init; }

    public bool MinExclusive { get; init; }

    public double? Max { get; init; }

    public bool MaxExclusive { get; init; }

    /// <summary>
    /// Values between 0 and this are rejected, 0 itself is not (a rate of 0 means off; 1e-320 is a float32 zero that
    /// looks like a setting). Null when there is no such gap.
    /// </summary>
    public double? ZeroOrAtLeast { get; init; }

    public override string Expectation
    {
        get
        {
            var what = Integer ? "an integer" : "a number";
            var parts = new List<string>();
            if (ZeroOrAtLeast is { } least)
            {
                what = "0 or " + what;
                parts.Add(">= " + Format(least));
            }
            else if (Min is { } min)
            {
                parts.Add((MinExclusive ? "> " : ">= ") + Format(min));
            }

            if (Max is { } max)
            {
                parts.Add((MaxExclusive ? "< " : "<= ") + Format(max));
            }

            return parts.Count == 0 ? what : what + " " + string.Join(" and ", parts);
        }
    }

    public bool InRange(double value) =>
        (ZeroOrAtLeast is not { } least || value == 0 || value >= least) &&
        (Min is not { } min || (MinExclusive ? value > min : value >= min)) &&
        (Max is not { } max || (MaxExclusive ? value < max : value <= max));

    // 1e-12 rather than 1E-12: how people write these limits in YAML.
    private static string Format(double value) => Text.InvariantNumbers.Format(value).Replace("E-0", "e-").Replace("E-", "e-").Replace("E+", "e");
}

internal sealed class BoolNode : SchemaNode
{
    public override string Expectation => "true or false";
}

/// <summary>One of several shapes, chosen by the YAML node's kind (scalar number, scalar word, list, mapping).</summary>
internal sealed class ChoiceNode : SchemaNode
{
    public ChoiceNode(params SchemaNode[] options) => Options = options;

    public SchemaNode[] Options { get; }

    public override string Expectation => string.Join(" or ", Options.Select(o => o.Expectation));
}

/// <summary>
/// A tagged union written as a bare word (<c>relu</c>, <c>adamw</c>) or a one-key mapping (<c>dropout: 0.2</c>,
/// <c>adamw: {lr: 1e-3}</c>).
/// </summary>
internal sealed class TaggedNode : SchemaNode
{
    public List<TagOption> Options { get; } = new();

    public override string Expectation => "one of " + Text.Suggestions.QuoteList(Options.Select(o => o.Name));

    public TagOption? Find(string name) => Options.Find(o => o.Name == name);

    public TaggedNode Add(string name, SchemaNode? body, bool bareAllowed, string doc)
    {
        Options.Add(new TagOption(name, body, bareAllowed, doc));
        return this;
    }
}

internal sealed class TagOption
{
    public TagOption(string name, SchemaNode? body, bool bareAllowed, string doc)
    {
        Name = name;
        Body = body;
        BareAllowed = bareAllowed;
        Doc = doc;
        if (body is not null && body.Doc.Length == 0)
        {
            body.Doc = doc;
        }
    }

    public string Name { get; }

    /// <summary>The value's schema, or null when the option takes no value.</summary>
    public SchemaNode? Body { get; }

    /// <summary>True when the bare word (or an empty value) is accepted.</summary>
    public bool BareAllowed { get; }

    public string Doc { get; }
}
