using System;
using System.Linq;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Model;
using TLDsl.Spec.Tests.Support;
using static TLDsl.Spec.Tests.Support.AttributeFixtures;

namespace TLDsl.Spec.Tests.Validation;

/// <summary>
/// Values the runtime cannot honour are rejected by validation, with a located TLD diagnostic, instead of training
/// nothing, overflowing or failing minutes later (issue #20). Each case was accepted before the limits existed.
/// </summary>
public class HostileValueTests
{
    private const string Valid =
        "version: 1\n" +
        "base: { model: resnet18_imagenet, weights: imagenet }\n" +
        "labels: [a, b]\n" +
        "head: [linear: labels]\n" +
        "data: { train: { folder: data/train }, valid: { split: 0.2 } }\n" +
        "train:\n" +
        "  epochs: 1\n";

    private static string With(string trainLines, string? topLines = null) =>
        Valid.Replace("  epochs: 1\n", "  epochs: 1\n" + trainLines, StringComparison.Ordinal) + (topLines ?? string.Empty);

    private static TLDsl.Spec.Diagnostics.SpecDiagnostic Rejected(string yaml, string id, string messageStart)
    {
        var result = Parse.Text(yaml);
        Assert.Null(result.Spec);
        var diagnostic = Parse.Single(result, id);
        Assert.StartsWith(messageStart, diagnostic.Message, StringComparison.Ordinal);
        Assert.NotNull(diagnostic.Span);
        return diagnostic;
    }

    private static void Accepted(string yaml)
    {
        var result = Parse.Text(yaml);
        Assert.True(result.Spec is not null, Parse.Format(result));
    }

    [Fact]
    public void The_base_pipeline_is_valid() => Accepted(Valid);

    [Theory]
    [InlineData("2147483647")]
    [InlineData("1073741824")]
    [InlineData("65537")]
    public void Batch_beyond_65536_is_rejected(string batch) =>
        Rejected(With("  batch: " + batch + "\n"), "TLD0008", "train.batch must be an integer >= 1 and <= 65536, but is " + batch);

    [Fact]
    public void Batch_of_65536_is_accepted_for_small_images() => Accepted(With("  batch: 65536\n") + "input: { size: 32 }\n");

    [Theory]
    [InlineData("alexnet", "avgpool", "[16, 16]", 63, "16x16")]
    [InlineData("vgg11", "avgpool", "[224, 31]", 32, "224x31")]
    [InlineData("small_cnn", "avgpool", "[16, 1]", 4, "16x1")]
    public void An_input_smaller_than_the_kept_layers_take_is_rejected_at_input_size(string model, string last, string size, int minimum, string shown)
    {
        var yaml = Valid.Replace("model: resnet18_imagenet, weights: imagenet", "model: " + model + ", weights: none, drop: classifier", StringComparison.Ordinal)
            + "input: { size: " + size + (model == "small_cnn" ? ", channels: 1" : string.Empty) + " }\n";
        var diagnostic = Rejected(yaml, "TLD0008", "input.size for '" + model + "' up to '" + last + "' must be at least " + minimum + " pixels a side, but is " + shown);
        Assert.Equal(yaml.Split('\n').ToList().FindIndex(l => l.StartsWith("input:", StringComparison.Ordinal)) + 1, diagnostic.Span!.StartLine);
        Accepted(yaml.Replace("size: " + size, "size: " + minimum, StringComparison.Ordinal));
    }

    [Fact]
    public void A_cut_model_takes_the_smaller_input_its_kept_layers_allow()
    {
        // small_cnn up to pool1 halves once: 2 pixels are enough; the whole backbone needs 4.
        var cut = Valid.Replace("model: resnet18_imagenet, weights: imagenet", "model: small_cnn, weights: none, cut_at: pool1", StringComparison.Ordinal)
            .Replace("head: [linear: labels]", "head: [pool, linear: labels]", StringComparison.Ordinal) + "input: { size: 2, channels: 1 }\n";
        Accepted(cut);
        Rejected(cut.Replace("size: 2,", "size: 1,", StringComparison.Ordinal), "TLD0008", "input.size for 'small_cnn' up to 'pool1' must be at least 2 pixels a side, but is 1x1");
    }

    [Fact]
    public void One_input_batch_must_fit_a_float_array()
    {
        var diagnostic = Rejected(With("  batch: 65536\n"), "TLD0008", "train.batch × channels × input height × width (one input batch) must be at most 2147483647 values (8 GiB of float32), but is 65536 × 3 × 224 × 224");
        Assert.Equal(8, diagnostic.Span!.StartLine);
        Rejected(With("  batch: 64\n") + "input: { size: 4096 }\n", "TLD0008", "train.batch × channels");
        Accepted(With("  batch: 32\n") + "input: { size: 4096 }\n");
    }

    [Fact]
    public void Accumulate_is_bounded_and_so_is_the_effective_batch()
    {
        Rejected(With("  accumulate: 2147483647\n"), "TLD0008", "train.accumulate must be an integer >= 1 and <= 65536");
        var product = Rejected(With("  batch: 4096\n  accumulate: 512\n"), "TLD0008", "train.batch × train.accumulate (the effective batch) must be at most 1048576, but is 4096 × 512");
        Assert.Equal(9, product.Span!.StartLine);
        Accepted(With("  batch: 1024\n  accumulate: 1024\n"));
    }

    [Fact]
    public void Input_size_is_bounded_per_side()
    {
        Rejected(Valid + "input: { size: [100000, 64] }\n", "TLD0008", "input.size[0] must be an integer >= 1 and <= 4096, but is 100000");
        Rejected(Valid + "input: { size: 5000 }\n", "TLD0008", "input.size must be an integer >= 1 and <= 4096");
        Accepted(Valid + "input: { size: [4096, 64] }\n");
    }

    [Theory]
    [InlineData("  optimizer: { adamw: { lr: 1e39 } }\n", "train.optimizer.adamw.lr")]
    [InlineData("  optimizer: { sgd: { lr: 1e308 } }\n", "train.optimizer.sgd.lr")]
    [InlineData("  optimizer: { adam: { lr: 1e-320 } }\n", "train.optimizer.adam.lr")]
    [InlineData("  optimizer: { adamw: { weight_decay: 1e308 } }\n", "train.optimizer.adamw.weight_decay")]
    [InlineData("  optimizer: { sgd: { weight_decay: 1e-320 } }\n", "train.optimizer.sgd.weight_decay")]
    [InlineData("  optimizer: { adam: { eps: 1e-320 } }\n", "train.optimizer.adam.eps")]
    [InlineData("  clip_grad_norm: 1e308\n", "train.clip_grad_norm")]
    [InlineData("  loss: { cross_entropy: { class_weights: [1, 1e308] } }\n", "train.loss.cross_entropy.class_weights[1]")]
    [InlineData("  early_stopping: { min_delta: 1e308 }\n", "train.early_stopping.min_delta")]
    [InlineData("  early_stopping: { patience: 2147483647 }\n", "train.early_stopping.patience")]
    [InlineData("  checkpoint: { every: 2147483647 }\n", "train.checkpoint.every")]
    public void Numbers_the_runtime_cannot_honour_are_rejected(string lines, string path) =>
        Rejected(With(lines), "TLD0008", path + " must be ");

    [Fact]
    public void A_rate_float32_holds_stays_valid_however_large()
    {
        // Too large to learn, but the runtime honours it: the loss diverges and training stops with a clear message.
        Accepted(With("  optimizer: { sgd: { lr: 1e37, momentum: 0.9 } }\n"));
        Accepted(With("  optimizer: { sgd: { lr: 1e-12 } }\n"));
    }

    [Theory]
    [InlineData("lr: 1e39", "train.phases[0].lr")]
    [InlineData("lr: 1e-320", "train.phases[0].lr")]
    [InlineData("lr: { head: 1e308 }", "train.phases[0].lr.head")]
    [InlineData("schedule: { cosine: { min_lr: 1e308 } }", "train.phases[0].schedule.cosine.min_lr")]
    [InlineData("schedule: { cosine: { min_lr: 1e-320 } }", "train.phases[0].schedule.cosine.min_lr")]
    [InlineData("schedule: { cosine: { warmup_epochs: 2147483647 } }", "train.phases[0].schedule.cosine.warmup_epochs")]
    [InlineData("schedule: { one_cycle: { max_lr: 1e308 } }", "train.phases[0].schedule.one_cycle.max_lr")]
    [InlineData("schedule: { step: { step_size: 1, gamma: 1e-320 } }", "train.phases[0].schedule.step.gamma")]
    [InlineData("epochs: 2147483647", "train.phases[0].epochs")]
    public void Phase_numbers_the_runtime_cannot_honour_are_rejected(string setting, string path)
    {
        var phase = setting.StartsWith("epochs", StringComparison.Ordinal) ? "{ " + setting + " }" : "{ epochs: 1, " + setting + " }";
        Rejected(Valid.Replace("  epochs: 1\n", "  phases:\n    - " + phase + "\n", StringComparison.Ordinal), "TLD0008", path + " must be ");
    }

    [Fact]
    public void Zero_decay_and_zero_final_rate_stay_valid_and_the_message_says_so()
    {
        Accepted(With("  optimizer: { adamw: { weight_decay: 0 } }\n"));
        var yaml = Valid.Replace("  epochs: 1\n", "  phases:\n    - { epochs: 1, schedule: { cosine: { min_lr: 0 } } }\n", StringComparison.Ordinal);
        Accepted(yaml);
        var denormal = Valid.Replace("  epochs: 1\n", "  phases:\n    - { epochs: 1, schedule: { cosine: { min_lr: 1e-320 } } }\n", StringComparison.Ordinal);
        Rejected(denormal, "TLD0008", "train.phases[0].schedule.cosine.min_lr must be 0 or a number >= 1e-12 and <= 1e38, but is 1e-320");
    }

    [Fact]
    public void The_epochs_of_all_phases_are_bounded_together()
    {
        var yaml = Valid.Replace("  epochs: 1\n", "  phases:\n    - { epochs: 60000 }\n    - { epochs: 60000 }\n", StringComparison.Ordinal);
        Rejected(yaml, "TLD0008", "The epochs of all phases together must be at most 100000, but is 120000");
    }

    [Theory]
    [InlineData("scale: [1, 0.5]", "scale", "[1, 0.5]")]
    [InlineData("ratio: [2, 1]", "ratio", "[2, 1]")]
    public void Crop_ranges_need_min_below_max(string setting, string key, string shown) =>
        Rejected(Valid.Replace("valid: { split: 0.2 } }", "valid: { split: 0.2 }, augment: [random_resized_crop: { " + setting + " }] }", StringComparison.Ordinal),
            "TLD0008", "data.augment[0].random_resized_crop." + key + " must be [min, max] with min <= max, but is " + shown);

    [Theory]
    [InlineData("[0, 1]")]
    [InlineData("[0.5, 0.5, 100]")]
    public void Normalisation_statistics_are_bounded(string std) =>
        Rejected(Valid + "input: { normalize: { mean: [0.5, 0.5, 0.5], std: " + std + " } }\n", "TLD0008", "input.normalize.std[");

    [Fact]
    public void Normalisation_means_outside_the_pixel_range_are_rejected() =>
        Rejected(Valid + "input: { normalize: { mean: [123.7, 0.5, 0.5], std: [0.2, 0.2, 0.2] } }\n", "TLD0008", "input.normalize.mean[0] must be a number >= 0 and <= 1, but is 123.7");

    [Fact]
    public void Colour_jitter_strength_is_bounded() =>
        Rejected(Valid.Replace("valid: { split: 0.2 } }", "valid: { split: 0.2 }, augment: [color_jitter: { brightness: 1e308 }] }", StringComparison.Ordinal),
            "TLD0008", "data.augment[0].color_jitter.brightness must be a number >= 0 and <= 10");

    [Fact]
    public void A_linear_head_layer_too_large_to_allocate_is_rejected() =>
        Rejected(Valid.Replace("head: [linear: labels]", "head: [linear: 65536, linear: 65536, linear: labels]", StringComparison.Ordinal),
            "TLD0008", "head[1] (linear) must be at most 268435456 weights (in × out), but is 65536 × 65536");

    [Fact]
    public void A_long_pipeline_name_is_rejected_and_quoted_short()
    {
        var name = "N" + new string('x', 299);
        var diagnostic = Rejected("name: " + name + "\n" + Valid, "TLD0026", "name must be a C# identifier of at most 100 characters, but is 'Nxxx");
        Assert.EndsWith("…'", diagnostic.Message, StringComparison.Ordinal);
        Assert.True(diagnostic.Message.Length < 200, diagnostic.Message);
    }

    [Fact]
    public void A_name_with_a_final_newline_is_not_an_identifier() =>
        Rejected("name: \"Abc\\n\"\n" + Valid, "TLD0026", "name must be a C# identifier of at most 100 characters, but is 'Abc\\n'");

    [Fact]
    public void A_default_name_from_a_long_file_name_is_rejected_at_the_file()
    {
        var file = new string('p', 150) + ".tl.yaml";
        var result = TLDsl.Spec.Parsing.PipelineParser.Parse(Valid, file);
        var diagnostic = Parse.Single(result, "TLD0026");
        Assert.StartsWith("The pipeline name (from the file or class name; set 'name' to choose one) must be a C# identifier of at most 100 characters", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(file, diagnostic.Span!.FilePath);
        Assert.True(TLDsl.Spec.Parsing.PipelineParser.Parse("name: Short\n" + Valid, file).Spec is not null);
    }

    [Fact]
    public void A_huge_name_prints_a_short_line()
    {
        var diagnostic = Rejected("name: N" + new string('x', 990_000) + "\n" + Valid, "TLD0026", "name must be");
        Assert.True(diagnostic.Format().Length < 300, diagnostic.Format().Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_huge_layer_pattern_is_reported_without_comparing_every_character()
    {
        // Suggestions compare edit distances (length × length): a 500,000-character pattern against resnet18's layer names
        // allocated gigabytes. They compare only the first characters now.
        var yaml = Valid.Replace("  epochs: 1\n", "  phases: [{ epochs: 1, unfreeze: " + new string('q', 500_000) + " }]\n", StringComparison.Ordinal);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var diagnostic = Rejected(yaml, "TLD0018", "train.phases[0].unfreeze 'qqq");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 200L * 1024 * 1024, "allocated " + allocated + " bytes");
        Assert.True(diagnostic.Message.Length < 300, diagnostic.Message);
    }

    [Fact]
    public void Runs_with_a_nul_character_is_rejected_and_the_nul_is_escaped()
    {
        var diagnostic = Rejected(With("  runs: \"out\\0put\"\n"), "TLD0026", "train.runs must be a path of at most 1024 characters (at most 255 between separators) without control characters, but is 'out\\0put'");
        Assert.DoesNotContain('\0', diagnostic.Format());
    }

    [Theory]
    [InlineData("  runs: \"a\\nb\"\n", "train.runs")]
    [InlineData("  phases: [{ epochs: 1, name: \"p\\t1\" }]\n", "train.phases[0].name")]
    public void Control_characters_in_names_and_paths_are_rejected(string lines, string path)
    {
        var yaml = lines.Contains("phases", StringComparison.Ordinal) ? Valid.Replace("  epochs: 1\n", lines, StringComparison.Ordinal) : With(lines);
        var diagnostic = Rejected(yaml, "TLD0026", path + " must be ");
        Assert.DoesNotContain(diagnostic.Format(), char.IsControl);
    }

    [Fact]
    public void Labels_with_newlines_or_too_long_are_rejected()
    {
        Rejected(Valid.Replace("labels: [a, b]", "labels: [a, \"b\\nc\"]", StringComparison.Ordinal), "TLD0026", "labels[1] must be a name of at most 100 characters without control characters, but is 'b\\nc'");
        Rejected(Valid.Replace("labels: [a, b]", "labels: [a, " + new string('b', 101) + "]", StringComparison.Ordinal), "TLD0026", "labels[1] must be a name of at most 100 characters");
    }

    [Fact]
    public void A_path_segment_longer_than_a_file_name_is_rejected() =>
        Rejected(Valid.Replace("folder: data/train", "folder: data/" + new string('t', 256), StringComparison.Ordinal), "TLD0026", "data.train.folder must be a path of at most 1024 characters");

    [Fact]
    public void Control_characters_of_unknown_keys_are_escaped_in_messages()
    {
        var result = Parse.Text(With("  \"bat\\nch\\u0007\": 1\n"));
        var diagnostic = Parse.Single(result, "TLD0004");
        Assert.Contains("'bat\\nch\\u0007'", diagnostic.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(diagnostic.Format(), char.IsControl);
    }

    [Fact]
    public void Attribute_pipelines_are_held_to_the_same_limits()
    {
        var result = AttributePipelineReader.Read(Input(new AttributeOccurrence("Train", EquatableArray.Of(
            new AttributeArgument("Epochs", AttributeValue.Of(1), "t-epochs"),
            new AttributeArgument("Batch", AttributeValue.Of(int.MaxValue), "t-batch"),
            new AttributeArgument("Lr", AttributeValue.Of(1e39), "t-lr")), "t-train")));
        Assert.Null(result.Spec);
        var batch = result.Diagnostics.Single(d => d.Message.StartsWith("train.batch", StringComparison.Ordinal));
        Assert.Equal("t-batch", batch.LocationToken);
        Assert.Contains(result.Diagnostics, d => d.LocationToken as string == "t-lr" && d.Message.StartsWith("train.optimizer.adamw.lr must be a number >= 1e-12 and <= 1e38", StringComparison.Ordinal));
    }
}
