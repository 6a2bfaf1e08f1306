using System;
using System.Linq;
using System.Text;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Tests.Support;
using static TLDsl.Spec.Tests.Support.AttributeFixtures;

namespace TLDsl.Spec.Tests.Parsing;

/// <summary><c>train.recipe</c> expands to explicit phases, and <c>lr_decay</c> to explicit per-stage rates (issue #17).</summary>
public class RecipeTests
{
    private const string Header = """
        version: 1
        base: { model: resnet18_imagenet, weights: imagenet }
        labels: [a, b, c]
        head: [dropout: 0.2, linear: labels]

        """;

    private static PipelineSpec Valid(string yaml)
    {
        var result = Parse.Text(yaml);
        Assert.True(result.Spec is not null && !result.HasErrors, Parse.Format(result));
        return result.Spec!;
    }

    private static string Describe(PipelineSpec spec)
    {
        var text = new StringBuilder();
        text.Append("freeze: ").Append(string.Join(", ", spec.Freeze.Select(f => f.Selector + " (batchnorm " + f.BatchNorm + ")"))).Append('\n');
        foreach (var phase in spec.Train.Phases)
        {
            text.Append(Recipes.Describe(phase)).Append('\n');
        }
        return text.ToString();
    }

    [Fact]
    public void Fine_tune_expands_to_a_frozen_head_phase_and_an_unfrozen_phase_with_decayed_stage_rates()
    {
        var text = new StringBuilder();
        foreach (var (title, train) in new[]
        {
            ("defaults (no optimizer lr written: the recipe's 2e-3)", "train: { recipe: fine_tune }"),
            ("every parameter, optimizer lr 3e-3", "train:\n  optimizer: { adamw: { lr: 3e-3 } }\n  recipe: { fine_tune: { epochs: 4, freeze_epochs: 10, lr: 2e-3, lr_decay: 0.5 } }"),
        })
        {
            text.Append("# ").Append(title).Append('\n').Append(Describe(Valid(Header + train))).Append('\n');
        }
        // A written freeze rule is kept (here: BatchNorm statistics train).
        text.Append("# written freeze rule\n").Append(Describe(Valid(Header + "freeze: [{ backbone: true, batchnorm: train }]\ntrain: { recipe: fine_tune }")));
        Snapshot.Match(RepoPaths.Combine("tests", "TLDsl.Spec.Tests", "Parsing", "RecipeExpansion"), text.ToString());
    }

    [Fact]
    public void Lr_decay_gives_each_stage_the_phase_rate_times_the_decay_per_stage_below_the_head()
    {
        var spec = Valid(Header + "train:\n  optimizer: { adamw: { lr: 0.01 } }\n  phases:\n    - { epochs: 1, lr_decay: 0.5, unfreeze: ['**'], lr: { layer3: 0.123 } }");
        var phase = spec.Train.Phases[0];
        Assert.Equal(0.5, phase.LrDecay);
        // resnet18_imagenet's stages, top first: layer4, layer3, layer2, layer1, stem (conv1, bn1, relu, maxpool).
        var expected = new (string, double)[]
        {
            ("layer3", 0.123), // written, so first (first match wins)
            ("layer4", 0.01 * 0.5), ("layer3", 0.01 * 0.25), ("layer2", 0.01 * 0.125), ("layer1", 0.01 * 0.0625),
            ("conv1", 0.01 * 0.03125), ("bn1", 0.01 * 0.03125), ("relu", 0.01 * 0.03125), ("maxpool", 0.01 * 0.03125),
        };
        Assert.Equal(expected.Length, phase.LrGroups.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Item1, phase.LrGroups[i].Pattern);
            Assert.Equal(expected[i].Item2, phase.LrGroups[i].Lr, 15);
        }
    }

    [Fact]
    public void Lr_decay_counts_only_the_stages_left_after_cut_at_and_starts_from_one_cycles_max_lr()
    {
        var spec = Valid("""
            version: 1
            base: { model: resnet18, weights: none, cut_at: layer3 }
            labels: [a, b]
            head: [pool, linear: labels]
            train:
              phases:
                - { epochs: 1, lr_decay: 0.1, schedule: { one_cycle: { max_lr: 0.02 } } }
            """);
        var groups = spec.Train.Phases[0].LrGroups.Select(g => (g.Pattern, Math.Round(g.Lr, 12))).ToArray();
        Assert.Equal(new[] { ("layer3", 0.002), ("layer2", 0.0002), ("layer1", 0.00002), ("conv1", 0.000002), ("bn1", 0.000002), ("relu", 0.000002), ("maxpool", 0.000002) }, groups);
    }

    [Fact]
    public void Lr_decay_of_one_gives_every_stage_the_phase_rate_and_no_key_leaves_the_phase_as_written()
    {
        var spec = Valid(Header + "train:\n  phases:\n    - { epochs: 1, lr: 0.01, lr_decay: 1 }\n    - { epochs: 1 }");
        Assert.All(spec.Train.Phases[0].LrGroups, g => Assert.Equal(0.01, g.Lr));
        Assert.Empty(spec.Train.Phases[1].LrGroups);
        Assert.True(spec.Train.Phases[1].Augment);
        Assert.Null(spec.Train.Phases[1].LrDecay);
    }

    [Fact]
    public void A_recipe_with_phases_is_one_located_conflict()
    {
        var result = Parse.Text(Header + "train:\n  recipe: fine_tune\n  phases: [{ epochs: 1 }]");
        var d = Parse.Single(result, "TLD0011");
        Assert.Equal("train may contain only one of 'epochs', 'phases', 'recipe', but has 'phases', 'recipe'", d.Message);
        Assert.Equal(6, d.Span!.StartLine);
    }

    private static readonly AttributeOccurrence SeedOnly =
        new("Train", EquatableArray.Of(new AttributeArgument("Seed", AttributeValue.Of(3), "t-seed")), "t-train");

    [Fact]
    public void The_fine_tune_attribute_expands_like_the_yaml_recipe()
    {
        var result = AttributePipelineReader.Read(Input(SeedOnly, At("FineTune", "t-ft").With("FreezeEpochs", AttributeValue.Of(4)).With("LrDecay", AttributeValue.Of(0.5))));
        Assert.True(result.Spec is not null, Parse.Format(result));
        var phases = result.Spec!.Train.Phases;
        Assert.Equal(["head: 4 epochs, lr 0.002, schedule OneCycle, augment false", "fine_tune"],
            [Recipes.Describe(phases[0]), phases[1].Name]);
        Assert.Equal((5, 0.5, 0.001), (phases[1].Epochs, phases[1].LrDecay!.Value, phases[1].Lr!.Value));
        Assert.Equal(FreezeSelector.Backbone, Assert.Single(result.Spec.Freeze).Selector);
    }

    [Fact]
    public void Phase_attributes_take_lr_decay_and_augment_and_a_decay_out_of_range_is_located_at_its_argument()
    {
        var phase = At("Phase", "t-phase", AttributeValue.Of(1), AttributeValue.Of(2))
            .With("Unfreeze", AttributeValue.Of(new[] { "layer4" }))
            .With("LrDecay", AttributeValue.Of(0.7)).With("Augment", AttributeValue.Of(false));
        var result = AttributePipelineReader.Read(Input(SeedOnly, phase));
        Assert.True(result.Spec is not null, Parse.Format(result));
        Assert.Equal((0.7, false), (result.Spec!.Train.Phases[0].LrDecay!.Value, result.Spec.Train.Phases[0].Augment));
        Assert.Equal("layer4", result.Spec.Train.Phases[0].LrGroups[0].Pattern);

        var bad = AttributePipelineReader.Read(Input(SeedOnly, At("Phase", "t-phase", AttributeValue.Of(1), AttributeValue.Of(2)).With("LrDecay", AttributeValue.Of(1.5), "t-decay")));
        var d = Parse.Single(bad, "TLD0008");
        Assert.Equal("t-decay", d.LocationToken);
        Assert.Equal("train.phases[0].lr_decay must be a number > 0 and <= 1, but is 1.5", d.Message);
    }
}
