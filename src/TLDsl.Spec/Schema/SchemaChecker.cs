using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Text;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Schema;

/// <summary>
/// Checks a YAML tree against the key table: unknown keys (with "did you mean"), missing and conflicting keys,
/// types, ranges, allowed values and formats. Reports every problem and remembers the paths that had one, so later
/// stages skip what is already known to be broken instead of piling up follow-on errors.
/// </summary>
internal sealed class SchemaChecker
{
    private readonly DiagnosticBag _bag;
    private readonly HashSet<string> _errorPaths = new();

    public SchemaChecker(DiagnosticBag bag) => _bag = bag;

    /// <summary>True when the path or anything below it had a structural error.</summary>
    public bool HasErrorsUnder(string path) =>
        _errorPaths.Any(p => p == path || p.StartsWith(path + ".", System.StringComparison.Ordinal) || p.StartsWith(path + "[", System.StringComparison.Ordinal));

    public bool HasAnyErrors => _errorPaths.Count > 0;

    /// <summary>True when the node at exactly this path had a structural error (not counting its children).</summary>
    public bool HasErrorAt(string path) => _errorPaths.Contains(path);

    public void Check(SchemaNode schema, YNode node, string path, NodeLocation keyLocation)
    {
        switch (schema)
        {
            case ObjectNode obj: CheckObject(obj, node, path, keyLocation); break;
            case ArrayNode array: CheckArray(array, node, path, keyLocation); break;
            case StringNode str: CheckString(str, node, path); break;
            case NumberNode number: CheckNumber(number, node, path); break;
            case BoolNode: CheckBool(node, path); break;
            case ChoiceNode choice: CheckChoice(choice, node, path, keyLocation); break;
            case TaggedNode tagged: CheckTagged(tagged, node, path); break;
        }
    }

    private void Report(string path, SpecDiagnosticDescriptor descriptor, NodeLocation location, params object?[] args)
    {
        _errorPaths.Add(path);
        _bag.Report(descriptor, location, args);
    }

    private void WrongType(SchemaNode schema, YNode node, string path) =>
        Report(path, DiagnosticDescriptors.WrongType, node.Location, NodePaths.Display(path), schema.Expectation, node.Describe());

    private void CheckObject(ObjectNode schema, YNode node, string path, NodeLocation keyLocation)
    {
        if (node is not YMapping mapping)
        {
            WrongType(schema, node, path);
            return;
        }

        foreach (var entry in mapping.Entries)
        {
            var childPath = NodePaths.Child(path, entry.Key.Value);
            var property = schema.Find(entry.Key.Value);
            if (property is not null)
            {
                Check(property.Node, entry.Value, childPath, entry.Key.Location);
            }
            else if (schema.AnyKey is not null)
            {
                Check(schema.AnyKey, entry.Value, childPath, entry.Key.Location);
            }
            else
            {
                var names = schema.Properties.Select(p => p.Name).ToArray();
                var hint = Suggestions.DidYouMean(entry.Key.Value, names);
                Report(childPath, DiagnosticDescriptors.UnknownKey, entry.Key.Location, UserText.Quote(entry.Key.Value), NodePaths.Display(path), hint.Length > 0 ? hint : " Allowed keys: " + Suggestions.QuoteList(names) + ".");
            }
        }

        foreach (var property in schema.Properties.Where(p => p.Required && mapping.Find(p.Name) is null))
        {
            Report(path, DiagnosticDescriptors.MissingKey, keyLocation, NodePaths.Subject(path), "'" + property.Name + "'");
        }

        foreach (var group in schema.ExactlyOne)
        {
            var present = group.Where(k => mapping.Find(k) is not null).ToArray();
            if (present.Length == 0)
            {
                Report(path, DiagnosticDescriptors.MissingKey, keyLocation, NodePaths.Subject(path), "(one of " + Suggestions.QuoteList(group) + ")");
            }
            else
            {
                ReportConflict(mapping, path, group, present);
            }
        }

        foreach (var group in schema.AtMostOne)
        {
            ReportConflict(mapping, path, group, group.Where(k => mapping.Find(k) is not null).ToArray());
        }
    }

    private void ReportConflict(YMapping mapping, string path, string[] group, string[] present)
    {
        if (present.Length > 1)
        {
            var second = mapping.Find(present[1])!.Key;
            Report(path, DiagnosticDescriptors.ConflictingKeys, second.Location, NodePaths.Subject(path), Suggestions.QuoteList(group), Suggestions.QuoteList(present));
        }
    }

    private void CheckArray(ArrayNode schema, YNode node, string path, NodeLocation keyLocation)
    {
        if (node is YScalar { IsNull: false } && schema.AllowSingle)
        {
            Check(schema.Items, node, NodePaths.Index(path, 0), keyLocation);
            return;
        }

        if (node is not YSequence sequence)
        {
            WrongType(schema, node, path);
            return;
        }

        var count = sequence.Items.Count;
        if (count < schema.MinItems || (schema.MaxItems is { } max && count > max))
        {
            Report(path, DiagnosticDescriptors.OutOfRange, node.Location, NodePaths.Display(path), schema.Expectation, "a list of " + count.ToString(CultureInfo.InvariantCulture) + " item" + (count == 1 ? string.Empty : "s"));
        }

        for (var i = 0; i < count; i++)
        {
            Check(schema.Items, sequence.Items[i], NodePaths.Index(path, i), sequence.Items[i].Location);
        }
    }

    private void CheckString(StringNode schema, YNode node, string path)
    {
        if (node is not YScalar scalar || scalar.IsNull)
        {
            WrongType(schema, node, path);
            return;
        }

        if (schema.Allowed is not null && !schema.Allowed.Contains(scalar.Value))
        {
            Report(path, DiagnosticDescriptors.NotAllowed, node.Location, NodePaths.Display(path), Suggestions.QuoteList(schema.Allowed), UserText.Quote(scalar.Value), Suggestions.DidYouMean(scalar.Value, schema.Allowed));
        }
        else if (!schema.FormatMatches(scalar.Value))
        {
            Report(path, DiagnosticDescriptors.InvalidFormat, node.Location, NodePaths.Display(path), schema.FormatDoc, UserText.Quote(scalar.Value));
        }
    }

    private void CheckNumber(NumberNode schema, YNode node, string path)
    {
        if (node is not YScalar scalar || !scalar.TryGetNumber(out var value) || (schema.Integer && !scalar.TryGetInteger(out _)))
        {
            WrongType(schema, node, path);
            return;
        }

        if (!schema.InRange(value) || (schema.Integer && (value > int.MaxValue || value < int.MinValue)))
        {
            Report(path, DiagnosticDescriptors.OutOfRange, node.Location, NodePaths.Display(path), schema.Expectation, UserText.Quote(scalar.Value));
        }
    }

    private void CheckBool(YNode node, string path)
    {
        if (node is not YScalar scalar || !scalar.TryGetBoolean(out _))
        {
            WrongType(new BoolNode(), node, path);
        }
    }

    private void CheckChoice(ChoiceNode schema, YNode node, string path, NodeLocation keyLocation)
    {
        switch (node)
        {
            case YMapping mapping:
                var objects = schema.Options.OfType<ObjectNode>().ToArray();
                if (objects.Length == 0)
                {
                    WrongType(schema, node, path);
                    return;
                }

                // Several mapping shapes (normalize: {mean, std} | {bgr_mean}): take the one naming most of the keys.
                var best = objects
                    .OrderByDescending(o => mapping.Entries.Count(e => o.Find(e.Key.Value) is not null))
                    .First();
                Check(best, node, path, keyLocation);
                return;
            case YSequence:
                var array = schema.Options.OfType<ArrayNode>().FirstOrDefault();
                if (array is null)
                {
                    WrongType(schema, node, path);
                }
                else
                {
                    Check(array, node, path, keyLocation);
                }

                return;
            case YScalar scalar when !scalar.IsNull:
                CheckChoiceScalar(schema, scalar, path, keyLocation);
                return;
            default:
                WrongType(schema, node, path);
                return;
        }
    }

    private void CheckChoiceScalar(ChoiceNode schema, YScalar scalar, string path, NodeLocation keyLocation)
    {
        var number = schema.Options.OfType<NumberNode>().FirstOrDefault();
        if (number is not null && scalar.TryGetNumber(out _))
        {
            CheckNumber(number, scalar, path);
            return;
        }

        if (schema.Options.OfType<BoolNode>().Any() && scalar.TryGetBoolean(out _))
        {
            return;
        }

        var strings = schema.Options.OfType<StringNode>().ToArray();
        if (strings.Any(s => (s.Allowed is null || s.Allowed.Contains(scalar.Value)) && s.FormatMatches(scalar.Value)))
        {
            return;
        }

        // Only words allowed, or a word close to an allowed one: say which words. Otherwise name every accepted shape.
        var words = strings.Where(s => s.Allowed is not null).SelectMany(s => s.Allowed!).ToArray();
        if (strings.Length > 0 && (strings.Length == schema.Options.Length || Suggestions.Best(scalar.Value, words) is not null))
        {
            CheckString(strings[0], scalar, path);
            return;
        }

        var single = schema.Options.OfType<ArrayNode>().FirstOrDefault(a => a.AllowSingle);
        if (single is not null)
        {
            CheckArray(single, scalar, path, keyLocation);
            return;
        }

        WrongType(schema, scalar, path);
    }

    private void CheckTagged(TaggedNode schema, YNode node, string path)
    {
        var names = schema.Options.Select(o => o.Name).ToArray();
        switch (node)
        {
            case YScalar scalar when !scalar.IsNull:
                var bare = schema.Find(scalar.Value);
                if (bare is null)
                {
                    Report(path, DiagnosticDescriptors.NotAllowed, node.Location, NodePaths.Display(path), Suggestions.QuoteList(names), UserText.Quote(scalar.Value), Suggestions.DidYouMean(scalar.Value, names));
                }
                else if (!bare.BareAllowed)
                {
                    var childPath = NodePaths.Child(path, bare.Name);
                    Report(childPath, DiagnosticDescriptors.WrongType, node.Location, childPath, bare.Body!.Expectation, "empty (null)");
                }

                return;
            case YMapping { Entries.Count: 1 } mapping:
                var entry = mapping.Entries[0];
                var option = schema.Find(entry.Key.Value);
                var optionPath = NodePaths.Child(path, entry.Key.Value);
                if (option is null)
                {
                    var hint = Suggestions.DidYouMean(entry.Key.Value, names);
                    Report(optionPath, DiagnosticDescriptors.UnknownKey, entry.Key.Location, UserText.Quote(entry.Key.Value), NodePaths.Display(path), hint.Length > 0 ? hint : " Allowed keys: " + Suggestions.QuoteList(names) + ".");
                }
                else if (entry.Value is YScalar { IsNull: true } && option.BareAllowed)
                {
                    // "relu:" or "pool:" with no value is the bare word.
                }
                else if (option.Body is null)
                {
                    Report(optionPath, DiagnosticDescriptors.WrongType, entry.Value.Location, optionPath, "empty (it takes no value)", entry.Value.Describe());
                }
                else
                {
                    Check(option.Body, entry.Value, optionPath, entry.Key.Location);
                }

                return;
            case YMapping { Entries.Count: > 1 } many:
                Report(path, DiagnosticDescriptors.ConflictingKeys, many.Entries[1].Key.Location, NodePaths.Display(path), Suggestions.QuoteList(names), Suggestions.QuoteList(many.Entries.Select(e => e.Key.Value)));
                return;
            default:
                WrongType(schema, node, path);
                return;
        }
    }
}
