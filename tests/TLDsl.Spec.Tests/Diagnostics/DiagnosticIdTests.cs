using System;
using System.Linq;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Diagnostics;

/// <summary>One test per diagnostic id: id, severity, line, column and the exact message.</summary>
public class DiagnosticIdTests
{
    // Line numbers below refer to this pipeline (line 1 = version).
    private const string Valid =
        "version: 1\n" +                  // 1
        "base:\n" +                       // 2
        "  model: resnet18_imagenet\n" +  // 3
        "  weights: imagenet\n" +         // 4
        "labels: [a, b]\n" +              // 5
        "head:\n" +                       // 6
        "  - linear: labels\n" +          // 7
        "train:\n" +                      // 8
        "  epochs: 1\n";                  // 9

    private static string Replace(string oldLine, string newLines)
    {
        Assert.Contains(oldLine + "\n", Valid, StringComparison.Ordinal);
        return Valid.Replace(oldLine + "\n", newLines + "\n", StringComparison.Ordinal);
    }

    private static SpecDiagnostic Expect(string yaml, string id, int line, int column, string message, SpecDiagnosticSeverity severity = SpecDiagnosticSeverity.Error, PipelineParseOptions? options = null)
    {
        var result = Parse.Text(yaml, options);
        var diagnostic = Parse.Single(result, id);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal(message, diagnostic.Message);
        Assert.NotNull(diagnostic.Span);
        Assert.Equal((line, column), (diagnostic.Span!.StartLine, diagnostic.Span.StartColumn));
        Assert.Equal(Parse.File, diagnostic.Span.FilePath);
        Assert.Equal("docs/diagnostics.md#" + id.ToLowerInvariant(), diagnostic.HelpLink);
        Assert.Equal(severity == SpecDiagnosticSeverity.Error, result.Spec is null);
        return diagnostic;
    }

    [Fact]
    public void Valid_pipeline_has_no_diagnostics()
    {
        var result = Parse.Text(Valid);
        Assert.Empty(result.Diagnostics);
        Assert.NotNull(result.Spec);
    }

    [Fact]
    public void TLD0001_yaml_syntax_error() =>
        Expect("version: 1\nbase: a: b\n", "TLD0001", 2, 8, "YAML syntax error: While scanning a plain scalar value, found invalid mapping.");

    [Fact]
    public void TLD0001_unclosed_flow_sequence_is_located() =>
        Expect(Replace("labels: [a, b]", "labels: [a, b"), "TLD0001", 5, 9, "YAML syntax error: the text cannot be read from here on; look for an unclosed '[', '{' or quote");

    [Fact]
    public void TLD0002_file_too_large() =>
        Expect(Valid + "# " + new string('x', 1_000_000) + "\n", "TLD0002", 1, 1, "The pipeline file has more than 1000000 characters, the limit; pipeline files are a few kilobytes");

    [Fact]
    public void TLD0003_alias_expansion_limit()
    {
        var yaml = "version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n";
        for (var level = 1; level <= 5; level++)
        {
            var previous = (char)('a' + level - 1);
            var name = (char)('a' + level);
            yaml += name + ": &" + name + " [" + string.Join(", ", Enumerable.Repeat("*" + previous, 10)) + "]\n";
        }

        // Level e expands to 111,111 nodes; the guard trips inside line 6 (e), before memory or time can blow up.
        var diagnostic = Expect(yaml, "TLD0003", 6, 36, "The document has more than 100000 nodes once its aliases are expanded; pipelines have a few hundred");
        Assert.NotNull(diagnostic);
    }

    [Fact]
    public void TLD0003_without_aliases_does_not_blame_aliases()
    {
        // A plain 100,001-item list: the message used to say "Aliases expand this document" although it has none.
        var yaml = Replace("labels: [a, b]", "labels: [" + string.Join(", ", Enumerable.Range(0, 100_001).Select(i => "l" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]");
        var diagnostic = Parse.Single(Parse.Text(yaml), "TLD0003");
        Assert.Equal("The document has more than 100000 nodes; pipelines have a few hundred", diagnostic.Message);
    }

    [Fact]
    public void TLD0004_unknown_key_with_did_you_mean() =>
        Expect(Replace("  epochs: 1", "  epochs: 1\n  bacth: 8"), "TLD0004", 10, 3, "Unknown key 'bacth' in train. Did you mean 'batch'?");

    [Fact]
    public void TLD0005_duplicate_key() =>
        Expect(Replace("  epochs: 1", "  epochs: 1\n  epochs: 2"), "TLD0005", 10, 3, "Duplicate key 'epochs' in train; the first one (line 9) is used");

    [Fact]
    public void TLD0006_missing_required_key() =>
        Expect(Replace("labels: [a, b]", "# no labels"), "TLD0006", 1, 1, "The pipeline is missing the required key 'labels'");

    [Fact]
    public void TLD0007_wrong_type() =>
        Expect(Replace("  epochs: 1", "  epochs: '3'"), "TLD0007", 9, 11, "train.epochs must be an integer >= 1 and <= 100000, but is the string '3'");

    [Fact]
    public void TLD0008_out_of_range() =>
        Expect(Replace("  epochs: 1", "  epochs: 0"), "TLD0008", 9, 11, "train.epochs must be an integer >= 1 and <= 100000, but is 0");

    [Fact]
    public void TLD0009_value_not_allowed() =>
        Expect(Replace("  epochs: 1", "  epochs: 1\n  optimizer: adamx"), "TLD0009", 10, 14, "train.optimizer must be one of 'sgd', 'adam', 'adamw', but is 'adamx'. Did you mean 'adam'?");

    [Fact]
    public void TLD0010_unsupported_version() =>
        Expect(Replace("version: 1", "version: 2"), "TLD0010", 1, 10, "Pipeline version 2 is not supported; this TLDsl reads versions 1 to 1");

    [Fact]
    public void TLD0011_conflicting_keys() =>
        Expect(Replace("  weights: imagenet", "  weights: imagenet\n  onnx: m.onnx"), "TLD0011", 5, 3, "base may contain only one of 'model', 'onnx', but has 'model', 'onnx'");

    [Fact]
    public void TLD0012_tag_not_allowed() =>
        Expect(Replace("labels: [a, b]", "labels: !!set [a, b]"), "TLD0012", 5, 9, "YAML tag 'tag:yaml.org,2002:set' is not allowed; pipeline files hold plain data only");

    [Fact]
    public void TLD0013_nesting_too_deep() =>
        Expect(Valid + "deep: " + new string('[', 80) + new string(']', 80) + "\n", "TLD0013", 10, 70, "Nesting deeper than 64 levels is not allowed");

    [Fact]
    public void TLD0014_invalid_label() =>
        Expect(Replace("labels: [a, b]", "labels: [a, \"--\"]"), "TLD0014", 5, 13, "Label '--' does not map to a C# identifier: it needs at least one letter or digit");

    [Fact]
    public void TLD0015_duplicate_label_after_mapping() =>
        Expect(Replace("labels: [a, b]", "labels: [a-b, a_b]"), "TLD0015", 5, 15, "Labels 'a-b' and 'a_b' both map to the C# identifier 'AB'");

    [Fact]
    public void TLD0016_unknown_model() =>
        Expect(Replace("  model: resnet18_imagenet", "  model: resnet81"), "TLD0016", 3, 10, "Unknown base model 'resnet81'. Did you mean 'resnet18'? Nearest known models: " + string.Join(", ", Spec.Text.Suggestions.Nearest("resnet81", Spec.Catalogue.ModelCatalogue.Default.Names, 5)));

    [Fact]
    public void TLD0017_unknown_weights() =>
        Expect(Replace("  weights: imagenet", "  weights: imagenett"), "TLD0017", 4, 12, "Model 'resnet18_imagenet' has no weights named 'imagenett' (named weights: 'imagenet'); use named weights or a weights file (.pth, .pt, .safetensors, .dat)");

    [Fact]
    public void TLD0018_pattern_matches_nothing() =>
        Expect(Valid + "freeze:\n  - layers: [layer9]\n", "TLD0018", 11, 14, "freeze[0].layers 'layer9' matches no layer of 'resnet18_imagenet'. Nearest names: layer1, layer2, layer3");

    [Fact]
    public void TLD0019_head_input_mismatch() =>
        Expect(Replace("  - linear: labels", "  - linear: {out: labels, in: 256}"), "TLD0019", 7, 31, "head[0] (linear) declares 256 input features, but receives 512");

    [Fact]
    public void TLD0020_head_layer_does_not_fit() =>
        Expect(Replace("  - linear: labels", "  - pool: avg\n  - linear: labels"), "TLD0020", 7, 5, "head[0] (pool) needs a spatial feature map, but receives a feature vector of 512; the input is already pooled; remove it");

    [Fact]
    public void TLD0021_invalid_drop() =>
        Expect(Replace("  weights: imagenet", "  weights: imagenet\n  drop: [layer1]"), "TLD0021", 5, 10, "base.drop 'layer1' is not possible: only trailing top-level layers can be dropped, and 'avgpool' comes after it");

    [Fact]
    public void TLD0022_drop_of_missing_classifier_is_a_warning() =>
        Expect(Replace("  weights: imagenet", "  weights: imagenet\n  drop: [fc]"), "TLD0022", 5, 10, "Model 'resnet18_imagenet' has no layer 'fc'; dropping it does nothing", SpecDiagnosticSeverity.Warning);

    [Fact]
    public void TLD0023_unfreezing_trainable_layers_is_a_warning() =>
        Expect(Replace("  epochs: 1", "  phases:\n    - epochs: 1\n    - epochs: 1\n      unfreeze: [head]"), "TLD0023", 12, 18, "train.phases[1].unfreeze 'head': every layer it matches is already trainable", SpecDiagnosticSeverity.Warning);

    [Fact]
    public void TLD0024_nothing_trainable() =>
        Expect(Valid + "freeze: [all]\n", "TLD0024", 9, 3, "train.phases[0] ('phase1') leaves no trainable layer");

    [Fact]
    public void TLD0025_onnx_names_checked_at_run_time_is_info() =>
        Expect(Replace("  model: resnet18_imagenet\n  weights: imagenet", "  onnx: m.onnx"), "TLD0025", 3, 9, "Layer names of ONNX model 'm.onnx' are checked at run time; add base.layers (a layer listing file) to check them at build time", SpecDiagnosticSeverity.Info);

    [Fact]
    public void TLD0026_invalid_format() =>
        Expect(Replace("version: 1", "version: 1\nname: 1abc"), "TLD0026", 2, 7, "name must be a C# identifier of at most 100 characters, but is '1abc'");

    [Fact]
    public void TLD0027_class_weights_count() =>
        Expect(Replace("  epochs: 1", "  epochs: 1\n  loss: { cross_entropy: { class_weights: [1, 2, 3] } }"), "TLD0027", 10, 43, "train.loss.cross_entropy.class_weights has 3 values, but there are 2 labels");

    [Fact]
    public void TLD0028_normalize_weights_needs_named_weights() =>
        Expect(Replace("  weights: imagenet", "  weights: w.pth"), "TLD0028", 4, 12, "input.normalize 'weights' needs named weights, but base.weights is 'w.pth'; name the statistics (imagenet) or give mean and std");

    [Fact]
    public void TLD0029_normalize_channel_count() =>
        Expect(Replace("labels: [a, b]", "labels: [a, b]\ninput: { normalize: { mean: [0.5, 0.5], std: [0.2, 0.2, 0.2] } }"), "TLD0029", 6, 29, "input.normalize.mean has 2 values, but the model takes 3 channels");

    [Fact]
    public void TLD0030_layer_listing_unreadable() =>
        Expect(Replace("  model: resnet18_imagenet\n  weights: imagenet", "  onnx: m.onnx\n  layers: m.layers.yaml"), "TLD0030", 4, 11, "Layer listing 'm.layers.yaml' cannot be used: no file reader was given to the parser");

    [Fact]
    public void TLD0031_metric_needs_validation_data() =>
        Expect(Valid + "  early_stopping: { metric: valid.accuracy }\ndata:\n  train: { folder: d }\n", "TLD0031", 10, 29, "train.early_stopping.metric 'valid.accuracy' needs validation data; add data.valid (a source or a split)");

    [Fact]
    public void TLD0032_internal_error_is_reported_not_thrown()
    {
        var options = new PipelineParseOptions { ReadFile = _ => throw new InvalidOperationException("boom") };
        Expect(Replace("  model: resnet18_imagenet\n  weights: imagenet", "  onnx: m.onnx\n  layers: m.layers.yaml"), "TLD0032", 1, 1, "Internal error while reading the pipeline: InvalidOperationException: boom; please report it", options: options);
    }

    [Fact]
    public void TLD0033_multiple_documents() =>
        Expect(Valid + "---\nversion: 1\n", "TLD0033", 10, 1, "A pipeline file holds one YAML document, but this one has more");

    [Fact]
    public void TLD0034_output_does_not_match_labels() =>
        Expect(Replace("  - linear: labels", "  - linear: 5"), "TLD0034", 7, 5, "The model outputs 5 values per image, but there are 2 labels; end the head with 'linear: labels'");

    [Fact]
    public void TLD0035_unsupported_weights_file() =>
        Expect(Replace("  weights: imagenet", "  weights: w.ckpt\ninput: { normalize: imagenet }"), "TLD0035", 4, 12, "Weights file 'w.ckpt' has an unsupported extension; use .pth, .pt, .safetensors or .dat");

    [Fact]
    public void TLD0036_duplicate_head_order_in_attributes()
    {
        var result = AttributePipelineReader.Read(AttributeFixtures.Input(
            AttributeFixtures.At("Relu", "t-relu-1", AttributeValue.Of(1)),
            AttributeFixtures.At("Relu", "t-relu-2", AttributeValue.Of(1))));
        var diagnostic = Parse.Single(result, "TLD0036");
        Assert.Equal("Head layer order 1 is used by more than one attribute", diagnostic.Message);
        Assert.Equal("t-relu-2", diagnostic.LocationToken);
        Assert.Null(diagnostic.Span);
    }

    [Fact]
    public void TLD0037_unknown_attribute_argument()
    {
        var result = AttributePipelineReader.Read(AttributeFixtures.Input(
            new AttributeOccurrence("Train", EquatableArray.Of(new AttributeArgument("Epoch", AttributeValue.Of(3), "t-epoch")), "t-train")));
        var diagnostic = Parse.Single(result, "TLD0037");
        Assert.Equal("[Train] has no argument 'Epoch'. Did you mean 'Epochs'?", diagnostic.Message);
        Assert.Equal("t-epoch", diagnostic.LocationToken);
    }

    [Fact]
    public void TLD0038_older_version_is_upgraded_with_info()
    {
        // A hypothetical version 0 called the phases list "stages"; the step renames it.
        var step = new UpgradeStep(0, root =>
        {
            var train = (Yaml.YMapping)root.Get("train")!;
            var old = train.Find("stages");
            if (old is not null)
            {
                train.Entries[train.Entries.IndexOf(old)] = new Yaml.YEntry(new Yaml.YScalar("phases", true, old.Key.Location), old.Value);
            }
        });
        var yaml = Replace("version: 1", "version: 0").Replace("  epochs: 1", "  stages: [{ epochs: 2 }]", StringComparison.Ordinal);
        var result = PipelineParser.Parse(yaml, Parse.File, null, new[] { step });
        var diagnostic = Parse.Single(result, "TLD0038");
        Assert.Equal(SpecDiagnosticSeverity.Info, diagnostic.Severity);
        Assert.Equal("Pipeline version 0 was read by upgrading it to version 1; update the file to version 1", diagnostic.Message);
        Assert.Equal((1, 10), (diagnostic.Span!.StartLine, diagnostic.Span.StartColumn));
        Assert.Equal(1, result.Spec!.Version);
        Assert.Equal(2, result.Spec.Train.Phases[0].Epochs);
    }

    [Fact]
    public void TLD0039_key_requires_another() =>
        Expect(Replace("  weights: imagenet", "  weights: imagenet\n  sha256: " + new string('a', 64)), "TLD0039", 5, 11, "base.sha256 is only allowed with a weights file");

    [Fact]
    public void TLD0040_idx_classes_must_give_one_value_per_label() =>
        Expect(Replace("  epochs: 1", "  epochs: 1\ndata:\n  train: { idx: { images: i.gz, labels: l.gz, classes: [5, 6, 7] } }"), "TLD0040", 11, 56,
            "data.train.idx.classes has 3 values; list one distinct label value of the file per pipeline label (2 labels)");

    [Fact]
    public void TLD0040_idx_classes_must_be_distinct() =>
        Expect(Replace("  epochs: 1", "  epochs: 1\ndata:\n  train: { idx: { images: i.gz, labels: l.gz } }\n  test: { idx: { images: i.gz, labels: l.gz, classes: [8, 8] } }"), "TLD0040", 12, 59,
            "data.test.idx.classes lists 8 more than once; list one distinct label value of the file per pipeline label (2 labels)");

    [Fact]
    public void TLD0041_model_file_not_found_where_the_caller_says_which_files_exist()
    {
        string yaml = Replace("  weights: imagenet", "  weights: w/r.pth");
        var asked = new System.Collections.Generic.List<string>();
        Expect(yaml, "TLD0041", 4, 12,
            "base.weights 'w/r.pth' was not found: no file w/r.pth is part of the build. The project's .pth, .pt, .safetensors, .dat and .onnx files " +
            "are (outside bin, obj and runs); add another with <AdditionalFiles Include=\"...\" TLDslKind=\"model\" />, or set " +
            "<TLDslCheckModelFiles>false</TLDslCheckModelFiles> if it arrives after the build",
            options: new PipelineParseOptions { FileExists = p => { asked.Add(p); return false; } });
        Assert.Equal(["w/r.pth"], asked);
        Assert.DoesNotContain(Parse.Text(yaml, new PipelineParseOptions { FileExists = _ => true }).Diagnostics, d => d.Id == "TLD0041");
        Assert.DoesNotContain(Parse.Text(yaml).Diagnostics, d => d.Id == "TLD0041"); // not checked without FileExists
    }

    // Reported by the generator, which alone sees every pipeline of a project (tests/TLDsl.Generator.Tests/PipelineNameTests).
    [Fact]
    public void TLD0042_duplicate_pipeline_name_message() =>
        Assert.Equal(
            "The pipeline name 'Pets' is already used by pipelines/a.tl.yaml; each pipeline of a project needs its own name (its types and runs folder are named after it), so no code is generated for this one",
            DiagnosticDescriptors.DuplicatePipelineName.FormatMessage("Pets", "pipelines/a.tl.yaml"));

    [Fact]
    public void Every_descriptor_has_a_test_here()
    {
        var tested = typeof(DiagnosticIdTests).GetMethods().Select(m => m.Name).Where(n => n.StartsWith("TLD", StringComparison.Ordinal)).Select(n => n.Substring(0, 7)).ToHashSet();
        var missing = DiagnosticDescriptors.All.Select(d => d.Id).Where(id => !tested.Contains(id)).ToArray();
        Assert.Empty(missing);
    }

    [Fact]
    public void Span_offset_and_length_cover_the_value_in_the_text()
    {
        var yaml = Replace("  model: resnet18_imagenet", "  model: resnet81");
        var span = Parse.Single(Parse.Text(yaml), "TLD0016").Span!;
        Assert.Equal("resnet81", yaml.Substring(span.Offset, span.Length));
        Assert.Equal((3, 10, 3, 18), (span.StartLine, span.StartColumn, span.EndLine, span.EndColumn));
        var crlf = yaml.Replace("\n", "\r\n", StringComparison.Ordinal);
        var crlfSpan = Parse.Single(Parse.Text(crlf), "TLD0016").Span!;
        Assert.Equal("resnet81", crlf.Substring(crlfSpan.Offset, crlfSpan.Length));
        Assert.Equal((3, 10), (crlfSpan.StartLine, crlfSpan.StartColumn));
    }

    [Fact]
    public void Format_prints_compiler_style_lines()
    {
        var diagnostic = Parse.Single(Parse.Text(Replace("  epochs: 1", "  epochs: 0")), "TLD0008");
        Assert.Equal("test.tl.yaml(9,11): error TLD0008: train.epochs must be an integer >= 1 and <= 100000, but is 0", diagnostic.Format());
        Assert.Equal(diagnostic.Format(), diagnostic.ToString());
        var noSpan = diagnostic with { Span = null };
        Assert.Equal("error TLD0008: train.epochs must be an integer >= 1 and <= 100000, but is 0", noSpan.Format());
    }
}
