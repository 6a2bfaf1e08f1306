using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Schema;
using TLDsl.Spec.Tests.Support;
using TLDsl.Spec.Yaml;
using TLDsl.Spec.Diagnostics;

namespace TLDsl.Spec.Tests.Schema;

public class SchemaTests
{
    [Fact]
    public void Committed_schema_equals_the_generated_one()
    {
        // docs/tldsl.schema.json is generated; TLDSL_ACCEPT=1 rewrites it.
        var path = RepoPaths.Combine("docs", "tldsl.schema.json");
        var generated = PipelineSchema.ToJson();
        if (Snapshot.Accepting)
        {
            File.WriteAllText(path, generated);
        }

        Assert.True(File.Exists(path), "docs/tldsl.schema.json is missing; run the tests with TLDSL_ACCEPT=1");
        Assert.True(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal) == generated, "docs/tldsl.schema.json differs from PipelineSchema.ToJson(); run the tests with TLDSL_ACCEPT=1 and commit it");
    }

    [Fact]
    public void Schema_is_well_formed_json_with_draft_2020_12()
    {
        using var document = System.Text.Json.JsonDocument.Parse(PipelineSchema.ToJson());
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", document.RootElement.GetProperty("$schema").GetString());
        var properties = document.RootElement.GetProperty("properties");
        foreach (var key in new[] { "version", "base", "input", "labels", "head", "freeze", "data", "train" })
        {
            Assert.True(properties.TryGetProperty(key, out _), key);
        }
    }

    [Theory]
    [MemberData(nameof(PipelineFilesTestsData))]
    public void Example_pipelines_use_only_keys_of_the_key_table(string name)
    {
        var bag = new DiagnosticBag();
        var root = SafeYamlReader.Read(File.ReadAllText(RepoPaths.Combine("pipelines", name)), name, bag, out var fatal);
        Assert.False(fatal);
        var checker = new SchemaChecker(bag);
        checker.Check(PipelineKeys.Root, root!, string.Empty, NodeLocation.Unknown);
        Assert.False(checker.HasAnyErrors, string.Join("\n", bag.Items.Select(d => d.Format())));
        Assert.Empty(bag.Items);
    }

    public static TheoryData<string> PipelineFilesTestsData() => Parsing.PipelineFilesTests.Files();

    [Fact]
    public void Every_key_of_the_table_has_documentation()
    {
        var undocumented = new List<string>();
        Walk(PipelineKeys.Root, string.Empty, undocumented);
        Assert.Empty(undocumented);
    }

    private static void Walk(SchemaNode node, string path, List<string> undocumented)
    {
        switch (node)
        {
            case ObjectNode obj:
                foreach (var property in obj.Properties)
                {
                    if (property.Node.Doc.Length == 0)
                    {
                        undocumented.Add(path + "." + property.Name);
                    }

                    Walk(property.Node, path + "." + property.Name, undocumented);
                }

                break;
            case ArrayNode array:
                Walk(array.Items, path + "[]", undocumented);
                break;
            case ChoiceNode choice:
                foreach (var option in choice.Options)
                {
                    Walk(option, path, undocumented);
                }

                break;
            case TaggedNode tagged:
                foreach (var option in tagged.Options)
                {
                    if (option.Doc.Length == 0)
                    {
                        undocumented.Add(path + "." + option.Name);
                    }

                    if (option.Body is not null)
                    {
                        Walk(option.Body, path + "." + option.Name, undocumented);
                    }
                }

                break;
        }
    }
}
