using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TLDsl.Generator.Tests;

/// <summary>
/// TLD0041: a weights file or ONNX base that is not among the build's model files (the AdditionalFiles the TLDsl props
/// make of the project's .pth/.pt/.safetensors/.dat/.onnx files) fails the build at the YAML value or attribute
/// argument, resolved as the runtime resolves it (next to the pipeline). Model files are given as
/// <see cref="ModelFileText"/>, which fails the test if the generator reads one.
/// </summary>
public sealed class ModelFileTests
{
    private const string Project = "/proj/";
    private const string PipelinePath = "/proj/pipelines/pets.tl.yaml";

    private static string Pipeline(string @base) => $"""
        version: 1
        name: Pets
        base:
        {@base}
        input: {"{"} size: 32, normalize: {"{"} mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] {"}"} {"}"}
        labels: [cat, dog]
        head: [linear: labels]
        train: {"{"} epochs: 1 {"}"}
        """;

    private static readonly string WeightsFile = Pipeline("  model: resnet18\n  weights: ../weights/pets.safetensors\n  drop: [fc]");

    private static (IReadOnlyList<string> Lines, IReadOnlyList<string> Hints) Run(ProjectOptions? project, string yaml, params AdditionalText[] files)
    {
        var (driver, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), project ?? new ProjectOptions("Demo", Project),
            files.Prepend(new MemoryText(PipelinePath, yaml)).ToArray());
        var hints = GeneratorHarness.Sources(driver).Select(s => s.HintName).ToList();
        if (diagnostics.Length == 0)
        {
            Assert.Empty(GeneratorHarness.CompileProblems(output));
        }
        return (diagnostics.Select(d => d.ToString()).ToList(), hints);
    }

    [Fact]
    public void A_missing_weights_file_is_TLD0041_at_its_yaml_value_and_stops_emission()
    {
        var (lines, hints) = Run(null, WeightsFile);
        Assert.Equal(
            "/proj/pipelines/pets.tl.yaml(5,12): error TLD0041: base.weights '../weights/pets.safetensors' was not found: no file " +
            "/proj/weights/pets.safetensors is part of the build. The project's .pth, .pt, .safetensors, .dat and .onnx files are " +
            "(outside bin, obj and runs); add another with <AdditionalFiles Include=\"...\" TLDslKind=\"model\" />, or set " +
            "<TLDslCheckModelFiles>false</TLDslCheckModelFiles> if it arrives after the build",
            Assert.Single(lines));
        Assert.Equal(["TLDsl.Attributes.g.cs"], hints);
    }

    [Fact]
    public void A_weights_file_of_the_build_is_found_by_path_without_being_read()
    {
        var (lines, hints) = Run(null, WeightsFile, new ModelFileText("/proj/weights/pets.safetensors"));
        Assert.Empty(lines);
        Assert.Contains("Pets.Model.g.cs", hints);
    }

    [Theory]
    [InlineData("/proj/pipelines/../weights/pets.safetensors")] // an AdditionalFiles item written with ..
    [InlineData("/proj/Weights/Pets.safetensors")]              // another case: found on Windows and macOS, so no error
    [InlineData("\\proj\\weights\\pets.safetensors")]           // Windows separators
    public void Paths_are_compared_after_folding_separators_dots_and_case(string known)
    {
        Assert.Empty(Run(null, WeightsFile, new ModelFileText(known)).Lines);
    }

    [Fact]
    public void Another_file_in_the_folder_does_not_count()
    {
        var (lines, _) = Run(null, WeightsFile, new ModelFileText("/proj/weights/other.safetensors"), new ModelFileText("/proj/pipelines/pets.safetensors"));
        Assert.Contains("TLD0041", Assert.Single(lines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_onnx_base_is_TLD0041_at_base_onnx()
    {
        string yaml = Pipeline("  onnx: models/pets.onnx");
        var line = Assert.Single(Run(null, yaml).Lines, l => l.Contains("TLD0041", StringComparison.Ordinal));
        Assert.StartsWith("/proj/pipelines/pets.tl.yaml(4,9): error TLD0041: base.onnx 'models/pets.onnx' was not found: no file /proj/pipelines/models/pets.onnx is part", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Run(null, yaml, new ModelFileText("/proj/pipelines/models/pets.onnx")).Lines, l => l.Contains("TLD0041", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_marked_as_model_counts_whatever_its_extension_and_is_not_read()
    {
        string yaml = Pipeline("  onnx: models/pets.bin");
        var kinds = new Dictionary<string, string> { ["/proj/pipelines/models/pets.bin"] = "model" };
        var lines = Run(new ProjectOptions("Demo", Project, kinds: kinds), yaml, new ModelFileText("/proj/pipelines/models/pets.bin")).Lines;
        Assert.DoesNotContain(lines, l => l.Contains("TLD0041", StringComparison.Ordinal));
    }

    [Fact]
    public void TLDslCheckModelFiles_false_turns_the_check_off()
    {
        var (lines, hints) = Run(new ProjectOptions("Demo", Project, checkModelFiles: "false"), WeightsFile);
        Assert.Empty(lines);
        Assert.Contains("Pets.Model.g.cs", hints);
    }

    [Theory]
    [InlineData("  model: resnet18_imagenet\n  weights: imagenet")]
    [InlineData("  model: resnet18\n  weights: none\n  drop: [fc]")]
    [InlineData("  model: resnet18\n  drop: [fc]")]
    public void Named_weights_and_none_need_no_file(string @base)
    {
        Assert.Empty(Run(null, Pipeline(@base)).Lines);
    }

    [Fact]
    public void An_attribute_pipeline_gets_TLD0041_at_the_weights_argument_resolved_next_to_its_source_file()
    {
        const string source = """
            using TLDsl;
            namespace Demo;
            [TransferPipeline("Pets")]
            [BaseModel("resnet18",
                Weights = "weights/pets.pth")]
            [Drop("fc")]
            [Input(32, 32, Mean = new[] { 0.5, 0.5, 0.5 }, Std = new[] { 0.5, 0.5, 0.5 })]
            [Labels("cat", "dog")]
            [LinearLabels(1)]
            [Train(Epochs = 1)]
            public partial class PetsPipeline { }
            """;
        var compilation = GeneratorHarness.Compilation(source);
        var tree = compilation.SyntaxTrees.Single();
        compilation = compilation.ReplaceSyntaxTree(tree, tree.WithFilePath("/proj/src/PetsPipeline.cs"));
        var (_, _, diagnostics) = GeneratorHarness.Run(compilation, new ProjectOptions("Demo", Project));
        var d = Assert.Single(diagnostics);
        Assert.Equal("TLD0041", d.Id);
        Assert.Equal(("/proj/src/PetsPipeline.cs", 4), (d.Location.GetLineSpan().Path, d.Location.GetLineSpan().StartLinePosition.Line));
        Assert.Contains("no file /proj/src/weights/pets.pth is part of the build", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var (_, _, found) = GeneratorHarness.Run(compilation, new ProjectOptions("Demo", Project), new ModelFileText("/proj/src/weights/pets.pth"));
        Assert.Empty(found);
    }
}
