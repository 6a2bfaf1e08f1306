using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Spec.Schema;

/// <summary>
/// The JSON schema (draft 2020-12) of pipeline files, generated from the same key table the checker uses.
/// Editors pick it up with <c># yaml-language-server: $schema=...</c>; the committed copy is docs/tldsl.schema.json.
/// </summary>
public static class PipelineSchema
{
    /// <summary>The schema as JSON text (deterministic; '\n' line ends).</summary>
    public static string ToJson()
    {
        var root = (Dictionary<string, object?>)Node(PipelineKeys.Root);
        var document = new Dictionary<string, object?>
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "TLDsl pipeline, version " + Parsing.PipelineUpgrader.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["description"] = "A transfer-learning pipeline (*.tl.yaml). Reference: docs/pipeline-reference.md.",
        };
        foreach (var pair in root)
        {
            document[pair.Key] = pair.Value;
        }

        return JsonWriter.Write(document);
    }

    private static object Node(SchemaNode node)
    {
        Dictionary<string, object?> json = node switch
        {
            ObjectNode obj => Object(obj),
            ArrayNode array => Array(array),
            StringNode str => String(str),
            NumberNode number => Number(number),
            BoolNode => new Dictionary<string, object?> { ["type"] = "boolean" },
            ChoiceNode choice => new Dictionary<string, object?> { ["anyOf"] = choice.Options.Select(Node).ToList() },
            TaggedNode tagged => Tagged(tagged),
            _ => new Dictionary<string, object?>(),
        };
        return WithDescription(json, node.Doc);
    }

    // Description first reads best in editors; an existing description wins.
    private static Dictionary<string, object?> WithDescription(Dictionary<string, object?> json, string doc) =>
        doc.Length == 0 || json.ContainsKey("description")
            ? json
            : new Dictionary<string, object?> { ["description"] = doc }.Concat(json).ToDictionary(p => p.Key, p => p.Value);

    private static Dictionary<string, object?> Object(ObjectNode obj)
    {
        var json = new Dictionary<string, object?> { ["type"] = "object" };
        if (obj.Properties.Count > 0)
        {
            json["properties"] = obj.Properties.ToDictionary(p => p.Name, p => (object?)Node(p.Node));
        }

        var required = obj.Properties.Where(p => p.Required).Select(p => p.Name).ToList();
        if (required.Count > 0)
        {
            json["required"] = required;
        }

        json["additionalProperties"] = obj.AnyKey is null ? false : Node(obj.AnyKey);
        var rules = new List<object?>();
        rules.AddRange(obj.ExactlyOne.Select(group => (object?)new Dictionary<string, object?>
        {
            ["oneOf"] = group.Select(k => (object?)new Dictionary<string, object?> { ["required"] = new List<object?> { k } }).ToList(),
        }));
        foreach (var group in obj.AtMostOne)
        {
            for (var i = 0; i < group.Length; i++)
            {
                for (var j = i + 1; j < group.Length; j++)
                {
                    rules.Add(new Dictionary<string, object?> { ["not"] = new Dictionary<string, object?> { ["required"] = new List<object?> { group[i], group[j] } } });
                }
            }
        }

        if (rules.Count > 0)
        {
            json["allOf"] = rules;
        }

        return json;
    }

    private static Dictionary<string, object?> Array(ArrayNode array)
    {
        var json = new Dictionary<string, object?> { ["type"] = "array", ["items"] = Node(array.Items) };
        if (array.MinItems > 0)
        {
            json["minItems"] = array.MinItems;
        }

        if (array.MaxItems is { } max)
        {
            json["maxItems"] = max;
        }

        return array.AllowSingle
            ? new Dictionary<string, object?> { ["anyOf"] = new List<object?> { Node(array.Items), json } }
            : json;
    }

    private static Dictionary<string, object?> String(StringNode str)
    {
        var json = new Dictionary<string, object?> { ["type"] = "string" };
        if (str.Allowed is not null)
        {
            json["enum"] = str.Allowed.ToList();
        }

        if (str.Pattern is not null)
        {
            json["pattern"] = str.Pattern;
        }
        else if (str.NoControl)
        {
            // The checker's char.IsControl: C0, DEL and C1. (Segment lengths of paths are checked but not expressed here.)
            json["pattern"] = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
        }

        if (str.MaxLength is { } max)
        {
            json["maxLength"] = max;
        }

        return json;
    }

    private static Dictionary<string, object?> Number(NumberNode number)
    {
        var json = new Dictionary<string, object?> { ["type"] = number.Integer ? "integer" : "number" };
        if (number.Min is { } min)
        {
            json[number.MinExclusive ? "exclusiveMinimum" : "minimum"] = min;
        }

        if (number.Max is { } max)
        {
            json[number.MaxExclusive ? "exclusiveMaximum" : "maximum"] = max;
        }

        if (number.ZeroOrAtLeast is { } least)
        {
            json["not"] = new Dictionary<string, object?> { ["exclusiveMinimum"] = 0, ["exclusiveMaximum"] = least };
        }

        return json;
    }

    private static Dictionary<string, object?> Tagged(TaggedNode tagged)
    {
        var bare = tagged.Options.Where(o => o.BareAllowed).Select(o => (object?)o.Name).ToList();
        var properties = tagged.Options.ToDictionary(
            o => o.Name,
            o =>
            {
                var nullSchema = new Dictionary<string, object?> { ["type"] = "null" };
                object? body = o.Body is null ? nullSchema
                    : o.BareAllowed ? new Dictionary<string, object?> { ["anyOf"] = new List<object?> { Node(o.Body), nullSchema } }
                    : Node(o.Body);
                return (object?)WithDescription((Dictionary<string, object?>)body!, o.Doc);
            });
        var single = new Dictionary<string, object?>
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["minProperties"] = 1,
            ["maxProperties"] = 1,
            ["additionalProperties"] = false,
        };
        var options = new List<object?>();
        if (bare.Count > 0)
        {
            options.Add(new Dictionary<string, object?> { ["type"] = "string", ["enum"] = bare });
        }

        options.Add(single);
        return new Dictionary<string, object?> { ["anyOf"] = options };
    }
}
