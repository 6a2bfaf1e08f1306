using System.Collections.Generic;
using System.Globalization;
using TLDsl.Spec.Diagnostics;

namespace TLDsl.Spec.Yaml;

/// <summary>
/// The plain-data tree a pipeline is read into: mappings, sequences and scalars, each with its location.
/// Attribute pipelines are translated into the same tree, so one checker and one builder serve both.
/// </summary>
internal abstract class YNode
{
    protected YNode(NodeLocation location) => Location = location;

    public NodeLocation Location { get; }

    /// <summary>Describes the node for "but is ..." messages.</summary>
    public abstract string Describe();

    /// <summary>The same value at another place (an alias): children are shared, only the location differs.</summary>
    public abstract YNode At(NodeLocation location);
}

internal sealed class YScalar : YNode
{
    public YScalar(string value, bool isPlain, NodeLocation location)
        : base(location)
    {
        Value = value;
        IsPlain = isPlain;
    }

    public string Value { get; }

    /// <summary>Plain (unquoted) scalars are typed by the YAML core schema: numbers, booleans, null; quoted ones are strings.</summary>
    public bool IsPlain { get; }

    public bool IsNull => IsPlain && (Value.Length == 0 || Value == "~" || Value == "null" || Value == "Null" || Value == "NULL");

    public bool TryGetBoolean(out bool value)
    {
        value = false;
        if (!IsPlain)
        {
            return false;
        }

        switch (Value)
        {
            case "true": case "True": case "TRUE": value = true; return true;
            case "false": case "False": case "FALSE": return true;
            default: return false;
        }
    }

    public bool TryGetInteger(out long value)
    {
        value = 0;
        return IsPlain && Text.InvariantNumbers.IsIntegerText(Value)
            && long.TryParse(Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public bool TryGetNumber(out double value)
    {
        value = 0;
        return IsPlain && Text.InvariantNumbers.TryParseDouble(Value, out value);
    }

    public override YNode At(NodeLocation location) => new YScalar(Value, IsPlain, location);

    public override string Describe()
    {
        if (IsNull)
        {
            return "empty (null)";
        }

        if (TryGetNumber(out _))
        {
            return "the number " + Text.UserText.Quote(Value);
        }

        if (TryGetBoolean(out _))
        {
            return "the boolean " + Text.UserText.Quote(Value);
        }

        return "the string '" + Text.UserText.Quote(Value) + "'";
    }
}

internal sealed class YSequence : YNode
{
    public YSequence(NodeLocation location, List<YNode>? items = null)
        : base(location)
    {
        Items = items ?? new List<YNode>();
    }

    public List<YNode> Items { get; }

    public override YNode At(NodeLocation location) => new YSequence(location, Items);

    public override string Describe() => "a list";
}

internal sealed class YEntry
{
    public YEntry(YScalar key, YNode value)
    {
        Key = key;
        Value = value;
    }

    public YScalar Key { get; }

    public YNode Value { get; set; }
}

internal sealed class YMapping : YNode
{
    public YMapping(NodeLocation location, List<YEntry>? entries = null)
        : base(location)
    {
        Entries = entries ?? new List<YEntry>();
    }

    public List<YEntry> Entries { get; }

    public override YNode At(NodeLocation location) => new YMapping(location, Entries);

    public YEntry? Find(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key.Value == key)
            {
                return entry;
            }
        }

        return null;
    }

    public YNode? Get(string key) => Find(key)?.Value;

    public override string Describe() => "a mapping";
}
