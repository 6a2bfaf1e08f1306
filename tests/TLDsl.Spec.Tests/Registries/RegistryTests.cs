using System;
using System.Linq;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Schema;

namespace TLDsl.Spec.Tests.Registries;

/// <summary>Every registry member is a word of the schema and parses to itself; the schema offers no word the
/// registries lack.</summary>
public class RegistryTests
{
    private static SchemaNode Node(params string[] path) =>
        path.Aggregate<string, SchemaNode>(PipelineKeys.Root, (node, key) => node switch
        {
            ObjectNode o => o.Find(key)!.Node,
            ArrayNode a => ((ObjectNode)a.Items).Find(key)!.Node,
            _ => throw new InvalidOperationException("no key " + key),
        });

    private static PipelineParseResult Parse(string freezeBatchNorm = "eval", string optimizer = "adamw", string schedule = "constant",
        string keep = "best", string head = "[linear: labels]") =>
        PipelineParser.Parse($$"""
            version: 1
            base: { model: resnet18, drop: [fc] }
            labels: [a, b]
            head: {{head}}
            freeze: [{ backbone: true, batchnorm: {{freezeBatchNorm}} }]
            train:
              optimizer: {{optimizer}}
              checkpoint: { keep: {{keep}} }
              phases: [{ epochs: 1, schedule: {{schedule}} }]
            """, "registry.tl.yaml");

    [Fact]
    public void The_schema_offers_exactly_the_registries_words()
    {
        Assert.Equal(Optimizers.Registry.Keys, ((TaggedNode)Node("train", "optimizer")).Options.Select(o => o.Name));
        Assert.Equal(Schedules.Registry.Keys, ((TaggedNode)Node("train", "phases", "schedule")).Options.Select(o => o.Name));
        Assert.Equal(CheckpointKeeps.Registry.Keys, ((StringNode)Node("train", "checkpoint", "keep")).Allowed);
        Assert.Equal(HeadLayers.Keys, ((TaggedNode)((ArrayNode)Node("head")).Items).Options.Select(o => o.Name));
        var freeze = (ObjectNode)((ChoiceNode)((ArrayNode)Node("freeze")).Items).Options.OfType<ObjectNode>().Single();
        Assert.Equal(BatchNormPolicies.Registry.Keys, ((StringNode)freeze.Find("batchnorm")!.Node).Allowed);
    }

    [Fact]
    public void Every_word_of_every_registry_parses_to_its_member()
    {
        foreach (var e in BatchNormPolicies.Registry.All)
        {
            Assert.Equal(e.Kind, Valid(Parse(freezeBatchNorm: e.Key)).Freeze[0].BatchNorm);
        }
        foreach (var e in Optimizers.Registry.All)
        {
            Assert.Equal(e.Kind, Valid(Parse(optimizer: e.Key)).Train.Optimizer.Kind);
        }
        foreach (var e in Schedules.Registry.All)
        {
            string schedule = e.Kind == ScheduleKind.Step ? "{ step: { step_size: 1 } }" : e.Key;
            Assert.Equal(e.Kind, Valid(Parse(schedule: schedule)).Train.Phases[0].Schedule.Kind);
        }
        foreach (var e in CheckpointKeeps.Registry.All)
        {
            Assert.Equal(e.Kind, Valid(Parse(keep: e.Key)).Train.Checkpoint.Keep);
        }
    }

    [Fact]
    public void Every_head_layer_kind_has_an_attribute_and_parses_to_itself()
    {
        foreach (var layer in HeadLayers.All)
        {
            Assert.Equal(layer.Key, AttributeTable.HeadLayers[layer.Attribute]);
            Assert.True(AttributeTable.NamedArguments.ContainsKey(layer.Attribute), layer.Attribute);
            string yaml = layer.Form switch
            {
                HeadLayerForm.Pool => "pool: " + layer.Argument,
                HeadLayerForm.Linear => "linear: 4",
                HeadLayerForm.Dropout => "dropout: 0.5",
                HeadLayerForm.Norm or HeadLayerForm.Plain => layer.Key,
                _ => throw new InvalidOperationException("no YAML for " + layer.Form),
            };
            // On resnet18 cut after layer4 the head starts on a feature map, so a pool comes first for the others.
            string head = layer.Form == HeadLayerForm.Pool ? $"[{yaml}, linear: labels]" : $"[pool, {yaml}, linear: labels]";
            var spec = Valid(PipelineParser.Parse($"version: 1\nbase: {{ model: resnet18, cut_at: layer4 }}\nlabels: [a, b]\nhead: {head}\ntrain: {{ epochs: 1 }}\n", "head.tl.yaml"));
            Assert.Contains(spec.Head, l => l.Kind == layer.Kind);
        }
    }

    [Fact]
    public void An_unknown_word_is_reported_and_never_becomes_another_member()
    {
        var result = Parse(optimizer: "adagrad", schedule: "linear", keep: "first", freezeBatchNorm: "frozen", head: "[swish, linear: labels]");
        Assert.Null(result.Spec);
        foreach (var word in new[] { "adagrad", "linear", "first", "frozen", "swish" })
        {
            Assert.Contains(result.Diagnostics, d => d.Severity == global::TLDsl.Spec.Diagnostics.SpecDiagnosticSeverity.Error && d.Format().Contains("'" + word + "'", StringComparison.Ordinal));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Registry.Parse("adagrad"));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeadLayers.Of((HeadLayerKind)999));
    }

    private static global::TLDsl.Spec.Model.PipelineSpec Valid(PipelineParseResult result)
    {
        Assert.True(result.Spec is not null, Support.Parse.Format(result));
        return result.Spec!;
    }
}
