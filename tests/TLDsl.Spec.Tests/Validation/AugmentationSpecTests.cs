using System.Linq;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Model;
using TLDsl.Spec.Tests.Support;
using static TLDsl.Spec.Tests.Support.AttributeFixtures;

namespace TLDsl.Spec.Tests.Validation;

/// <summary>The augmentation and regularisation keys (issue #17 item 2): what they build, their defaults, and the
/// located diagnostics for values the runtime could not honour.</summary>
public class AugmentationSpecTests
{
    private static string Pipeline(string augment, string tta = "", string train = "", string size = "[64, 64]") => $$"""
        version: 1
        base: { model: resnet18_imagenet, weights: imagenet }
        input: { size: {{size}} }
        labels: [cat, dog]
        head: [linear: labels]
        data:
          train: { folder: data }
          augment: {{augment}}
        {{tta}}
        train:
          epochs: 1
        {{train}}
        """;

    [Fact]
    public void The_new_kinds_build_with_their_defaults_and_their_values()
    {
        var result = Parse.Text(Pipeline(
            "[trivial_augment, random_erasing, pad_crop, mixup, cutmix, { trivial_augment: { bins: 11 } }, { random_erasing: { p: 0.25, scale: [0.1, 0.2], ratio: [0.5, 2], value: random } }, { pad_crop: { padding: 8, fill: reflect } }]",
            "  tta: [flip, vertical_flip, rotate90]",
            "  ema: { decay: 0.99, warmup: false }\n  loss: { cross_entropy: { label_smoothing: 0.1 } }"));
        Assert.True(result.Spec is not null, Parse.Format(result));
        var augment = result.Spec!.Data!.Augment;
        Assert.Equal(new TrivialAugmentSpec(31), augment[0]);
        Assert.Equal(new RandomErasingSpec(0.5, 0.02, 0.33, 0.3, 3.3, false), augment[1]);
        Assert.Equal(new PadCropSpec(4, false), augment[2]);
        Assert.Equal(new MixSpec(AugmentKind.Mixup, 0.2, 1), augment[3]);
        Assert.Equal(new MixSpec(AugmentKind.CutMix, 1, 1), augment[4]);
        Assert.Equal(new TrivialAugmentSpec(11), augment[5]);
        Assert.Equal(new RandomErasingSpec(0.25, 0.1, 0.2, 0.5, 2, true), augment[6]);
        Assert.Equal(new PadCropSpec(8, true), augment[7]);
        Assert.Equal(new[] { TtaView.Flip, TtaView.VerticalFlip, TtaView.Rotate90 }, result.Spec.Data.Tta.Select(t => t.View));
        Assert.Equal(new EmaSpec(0.99, false), result.Spec.Train.Ema);

        // Mixup with label smoothing is defined (the loss mixes smoothed targets, as timm does): no diagnostic.
        Assert.Empty(result.Diagnostics);

        var plain = Parse.Text(Pipeline("[flip]", train: "  ema: {}"));
        Assert.Equal(new EmaSpec(0.999, true), plain.Spec!.Train.Ema);
        Assert.True(plain.Spec.Data!.Tta.IsEmpty);
    }

    [Fact]
    public void Every_kind_has_a_word_and_a_stage_and_an_unknown_one_throws()
    {
        foreach (var kind in System.Enum.GetValues<AugmentKind>())
        {
            Assert.Contains(AugmentKinds.Of(kind).Word, AugmentKinds.Words);
        }
        Assert.Equal(System.Enum.GetValues<AugmentKind>().Length, AugmentKinds.Words.Count);
        Assert.Throws<System.ArgumentOutOfRangeException>(() => AugmentKinds.Of((AugmentKind)99));
        Assert.Equal(AugmentKinds.TtaWords, System.Enum.GetValues<TtaView>().Select(AugmentKinds.Word));
        Assert.Throws<System.ArgumentOutOfRangeException>(() => AugmentKinds.Word((TtaView)99));
    }

    [Theory]
    [InlineData("[{ random_erasing: { scale: [0.4, 0.2] } }]", "", "", "TLD0008", 8, "data.augment[0].random_erasing.scale must be [min, max] with min <= max")]
    [InlineData("[{ random_erasing: { p: 1.5 } }]", "", "", "TLD0008", 8, "p")]
    [InlineData("[{ mixup: { alpha: 0 } }]", "", "", "TLD0008", 8, "alpha")]
    [InlineData("[{ pad_crop: { padding: 0 } }]", "", "", "TLD0008", 8, "padding")]
    [InlineData("[{ pad_crop: { padding: 64, fill: reflect } }]", "", "", "TLD0008", 8, "data.augment[0].pad_crop.padding with fill: reflect must be less than the input's shorter side (64), but is 64")]
    [InlineData("[{ trivial_augment: { bins: 1 } }]", "", "", "TLD0008", 8, "bins")]
    [InlineData("[mixup, flip, { mixup: { alpha: 0.4 } }]", "", "", "TLD0005", 8, "Duplicate key 'mixup' in data.augment")]
    [InlineData("[]", "  tta: [flip, flip]", "", "TLD0005", 9, "Duplicate key 'flip' in data.tta")]
    [InlineData("[]", "  tta: [mirror]", "", "TLD0009", 9, "mirror")]
    [InlineData("[]", "", "  ema: { decay: 1 }", "TLD0008", 12, "decay")]
    public void Bad_values_are_located_diagnostics(string augment, string tta, string train, string id, int line, string words)
    {
        var result = Parse.Text(Pipeline(augment, tta, train));
        Assert.Null(result.Spec);
        var diagnostic = Parse.Single(result, id);
        Assert.Equal(line, diagnostic.Span!.StartLine);
        Assert.Contains(words, diagnostic.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void A_quarter_turn_at_test_time_needs_a_square_input()
    {
        var result = Parse.Text(Pipeline("[]", "  tta: [flip, rotate90]", size: "[64, 48]"));
        Assert.Null(result.Spec);
        var diagnostic = Parse.Single(result, "TLD0039");
        Assert.Equal(9, diagnostic.Span!.StartLine);
        Assert.Contains("rotate90 is only allowed with a square input (input.size is 64x48", diagnostic.Message, System.StringComparison.Ordinal);

        // Flips keep any shape.
        Assert.NotNull(Parse.Text(Pipeline("[]", "  tta: [flip, vertical_flip]", size: "[64, 48]")).Spec);
    }

    [Fact]
    public void The_attribute_forms_give_the_same_spec_as_the_yaml()
    {
        var input = Input(
            At("DataFolder", "t-data", AttributeValue.Of("data")),
            At("Augment", "t-aug", AttributeValue.Of("flip", "trivial_augment", "mixup")),
            At("Tta", "t-tta", AttributeValue.Of("flip")),
            At("Ema", "t-ema", AttributeValue.Of(0.99)).With("Warmup", AttributeValue.Of(false)));
        const string yaml = """
            version: 1
            name: MyPipeline
            base: { model: resnet18_imagenet, weights: imagenet }
            labels: [Cat, Dog]
            head: [linear: labels]
            data:
              train: { folder: data }
              augment: [flip, trivial_augment, mixup]
              tta: [flip]
            train:
              epochs: 1
              ema: { decay: 0.99, warmup: false }
            """;
        var fromAttributes = AttributePipelineReader.Read(input);
        var fromYaml = Parse.Text(yaml);
        Assert.True(fromAttributes.Spec is not null, Parse.Format(fromAttributes));
        Assert.True(fromYaml.Spec is not null, Parse.Format(fromYaml));
        Assert.Equal(fromYaml.Spec, fromAttributes.Spec);

        // A bad word is reported at the attribute.
        var bad = AttributePipelineReader.Read(Input(At("DataFolder", "t-data", AttributeValue.Of("data")), At("Tta", "t-tta", AttributeValue.Of("sideways"))));
        Assert.Equal("t-tta", Parse.Single(bad, "TLD0009").LocationToken);
    }
}
