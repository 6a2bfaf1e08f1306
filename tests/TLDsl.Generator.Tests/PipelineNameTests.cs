using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TLDsl.Generator.Tests;

/// <summary>
/// TLD0042: two pipelines of one project with the same name would emit the same types and hint names (the compiler
/// stopped the generator with CS8785). The second in path order gets the error at its name, naming the first; only
/// the first emits code, whatever order the compiler hands the files in.
/// </summary>
public sealed class PipelineNameTests
{
    private static string Yaml(string name, string comment = "") => $"""
        version: 1{comment}
        name: {name}
        base: {"{"} model: resnet18_imagenet, weights: imagenet {"}"}
        labels: [cat, dog]
        head: [linear: labels]
        train: {"{"} epochs: 1 {"}"}
        """;

    private static readonly ProjectOptions Project = new("Demo", "/proj/");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_second_file_gets_TLD0042_at_its_name_key_and_only_the_first_emits(bool reversed)
    {
        AdditionalText a = new MemoryText("/proj/pipelines/a.tl.yaml", Yaml("Pets"));
        AdditionalText b = new MemoryText("/proj/pipelines/b.tl.yaml", Yaml("Pets", "\n# the same name"));
        var (driver, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), Project, reversed ? [b, a] : [a, b]);

        Assert.Equal(
            "/proj/pipelines/b.tl.yaml(3,1): error TLD0042: The pipeline name 'Pets' is already used by pipelines/a.tl.yaml; each pipeline " +
            "of a project needs its own name (its types and runs folder are named after it), so no code is generated for this one",
            Assert.Single(diagnostics).ToString());
        var pipeline = Assert.Single(GeneratorHarness.Sources(driver), s => s.HintName == "Pets.Pipeline.g.cs");
        Assert.Contains("pipelines/a.tl.yaml", pipeline.Text, StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.CompileProblems(output));
    }

    [Fact]
    public void Names_that_differ_only_in_case_collide_like_hint_names_and_folders()
    {
        var (driver, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), Project,
            new MemoryText("/proj/pipelines/a.tl.yaml", Yaml("Pets")), new MemoryText("/proj/pipelines/b.tl.yaml", Yaml("pets")));
        Assert.Equal("TLD0042", Assert.Single(diagnostics).Id);
        Assert.DoesNotContain(diagnostics, d => d.Id == "CS8785");
        Assert.Single(GeneratorHarness.Sources(driver), s => s.HintName.EndsWith(".Model.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_name_taken_from_the_file_name_is_reported_at_the_file_start()
    {
        string unnamed = string.Join("\n", Yaml("x").Split('\n').Where(l => !l.StartsWith("name:", StringComparison.Ordinal)));
        var (_, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), Project,
            new MemoryText("/proj/a/pets.tl.yaml", Yaml("Pets")), new MemoryText("/proj/b/pets.tl.yaml", unnamed));
        var d = Assert.Single(diagnostics);
        Assert.Equal(("TLD0042", "/proj/b/pets.tl.yaml", 0), (d.Id, d.Location.GetLineSpan().Path, d.Location.GetLineSpan().StartLinePosition.Line));
    }

    [Fact]
    public void An_attribute_pipeline_with_a_taken_name_gets_TLD0042_at_its_name_argument()
    {
        const string source = """
            using TLDsl;
            namespace Demo;
            [TransferPipeline(
                "Pets")]
            [BaseModel("resnet18_imagenet", Weights = "imagenet")]
            [Labels("cat", "dog")]
            [LinearLabels(1)]
            [Train(Epochs = 1)]
            public partial class PetsPipeline { }
            """;
        var compilation = GeneratorHarness.Compilation(source);
        var tree = compilation.SyntaxTrees.Single();
        compilation = compilation.ReplaceSyntaxTree(tree, tree.WithFilePath("/proj/src/PetsPipeline.cs"));
        var (driver, output, diagnostics) = GeneratorHarness.Run(compilation, Project, new MemoryText("/proj/pipelines/pets.tl.yaml", Yaml("Pets")));

        var d = Assert.Single(diagnostics);
        Assert.Equal(("TLD0042", "/proj/src/PetsPipeline.cs", 3), (d.Id, d.Location.GetLineSpan().Path, d.Location.GetLineSpan().StartLinePosition.Line));
        Assert.Contains("already used by pipelines/pets.tl.yaml", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        // The YAML pipeline emits; the attribute class keeps only its own declaration.
        Assert.Single(GeneratorHarness.Sources(driver), s => s.HintName == "Pets.Model.g.cs");
        Assert.Empty(GeneratorHarness.CompileProblems(output));
    }
}
