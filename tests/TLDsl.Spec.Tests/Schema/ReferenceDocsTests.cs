using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Schema;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Schema;

/// <summary>docs/pipeline-reference.md's key tables, head table and attribute table say what the key table, the
/// registries and the attribute table say (as docs/diagnostics.md is checked against the diagnostics).</summary>
public class ReferenceDocsTests
{
    private static readonly string Docs = File.ReadAllText(RepoPaths.Combine("docs", "pipeline-reference.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>The text from <paramref name="heading"/> to the next heading of the same or a higher level.</summary>
    private static string Section(string heading)
    {
        int start = Docs.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/pipeline-reference.md has no heading " + heading);
        string level = heading[..(heading.IndexOf(' ', StringComparison.Ordinal) + 1)];
        var next = Regex.Match(Docs[(start + heading.Length + 2)..], "\n#{1," + (level.Length - 1) + "} ");
        return next.Success ? Docs.Substring(start, heading.Length + 2 + next.Index) : Docs[start..];
    }

    /// <summary>The keys in the first column of the section's table rows (<c>| `key` | ...</c>).</summary>
    private static string[] RowKeys(string section) =>
        Regex.Matches(section, "^\\| `([a-z_0-9]+)` \\|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();

    private static ObjectNode Object(params string[] path) =>
        path.Aggregate(PipelineKeys.Root, (node, key) => node.Find(key)!.Node switch
        {
            ObjectNode o => o,
            ArrayNode { Items: ObjectNode o } => o,
            var other => throw new InvalidOperationException(key + " is a " + other.GetType().Name),
        });

    public static TheoryData<string, string> KeyTables() => new()
    {
        { "## Top level", "" },
        { "## `base`", "base" },
        { "## `input`", "input" },
        { "## `data`", "data" },
        { "## `train`", "train" },
        { "### Phases", "train.phases" },
    };

    [Theory]
    [MemberData(nameof(KeyTables))]
    public void Each_key_table_lists_exactly_the_keys_of_the_key_table(string heading, string path)
    {
        var node = Object(path.Length == 0 ? [] : path.Split('.'));
        string section = Section(heading);
        if (heading == "## `train`")
        {
            section = section[..section.IndexOf("\n### ", StringComparison.Ordinal)];
        }
        // A section may go on with a table of kinds (data's augmentations); only its key table lists keys.
        int kinds = section.IndexOf("\n| Kind |", StringComparison.Ordinal);
        if (kinds >= 0)
        {
            section = section[..kinds];
        }
        Assert.Equal(node.Properties.Select(p => p.Name).Order(StringComparer.Ordinal), RowKeys(section).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_head_table_names_every_head_layer_kind_and_only_those()
    {
        string section = Section("## `head`");
        var words = Regex.Matches(section, "^\\| (.+?) \\|", RegexOptions.Multiline)
            .SelectMany(m => Regex.Matches(m.Groups[1].Value, "`([a-z_]+)").Select(w => w.Groups[1].Value))
            .Where(w => w != "labels")
            .ToHashSet(StringComparer.Ordinal);
        foreach (var layer in HeadLayers.All)
        {
            Assert.True(words.Contains(layer.Key), $"the head table lacks '{layer.Key}'");
            Assert.True(layer.Argument is null || section.Contains(layer.Argument, StringComparison.Ordinal), $"the head table lacks '{layer.Display}'");
        }
        Assert.Empty(words.Except(HeadLayers.Keys));
    }

    [Fact]
    public void The_words_of_every_registry_are_documented()
    {
        string train = Section("## `train`");
        Assert.All(Optimizers.Registry.Keys, k => Assert.Matches("\\b" + k + "\\b", train));
        Assert.All(Schedules.Registry.Keys, k => Assert.Matches("\\b" + k + "\\b", train));
        Assert.All(CheckpointKeeps.Registry.Keys, k => Assert.Contains(k, train[train.IndexOf("`checkpoint`", StringComparison.Ordinal)..], StringComparison.Ordinal));
        string freeze = Section("## `freeze`");
        Assert.All(BatchNormPolicies.Registry.Keys, k => Assert.Contains("`" + k + "`", freeze, StringComparison.Ordinal));
    }

    [Fact]
    public void The_attribute_table_lists_exactly_the_attributes_and_named_properties_the_reader_accepts()
    {
        var rows = Regex.Matches(Section("## Attributes"), "^\\| (`\\[.+?) \\| (.+?) \\| (.+?) \\| (.+?) \\|$", RegexOptions.Multiline)
            .SelectMany(m => Regex.Matches(m.Groups[1].Value, "`\\[([A-Za-z]+)\\]`").Select(a => (Name: a.Groups[1].Value, Properties: m.Groups[3].Value)))
            .ToDictionary(r => r.Name, r => r.Properties);
        Assert.Equal(AttributeTable.NamedArguments.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, allowed) in AttributeTable.NamedArguments)
        {
            // "same as `DataFolder`" borrows that row's properties.
            string documented = rows[name] + (rows[name].Contains("same as `DataFolder`", StringComparison.Ordinal) ? rows["DataFolder"] : "");
            var properties = Regex.Matches(documented, "`[A-Za-z\\[\\]?]+ ([A-Z][A-Za-z0-9]*)`").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            Assert.True(properties.SetEquals(allowed), $"[{name}]: the docs list {string.Join(", ", properties)}; the reader accepts {string.Join(", ", allowed)}");
        }
    }
}
