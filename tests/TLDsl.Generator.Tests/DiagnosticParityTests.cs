using System;
using System.IO;
using System.Linq;
using TLDsl.Spec.Parsing;

namespace TLDsl.Generator.Tests;

/// <summary>The generator reports exactly what TLDsl.Spec (and so <c>tldsl validate</c>) reports, in the compiler's format.</summary>
public sealed class DiagnosticParityTests
{
    public static TheoryData<string> InvalidFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(GeneratorHarness.RepoRoot, "tests", "TLDsl.Spec.Tests", "Invalid"), "*.tl.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void Compiler_diagnostics_print_the_same_lines_as_the_spec(string fileName)
    {
        string text = File.ReadAllText(Path.Combine(GeneratorHarness.RepoRoot, "tests", "TLDsl.Spec.Tests", "Invalid", fileName));
        string path = "pipelines/" + fileName;
        // No model file is an AdditionalFile here: the generator knows none exists (a weights file or ONNX base is TLD0041).
        var expected = PipelineParser.Parse(text, path, new PipelineParseOptions { FileExists = _ => false })
            .Diagnostics.Select(d => d.Format()).OrderBy(s => s, StringComparer.Ordinal).ToList();
        var (driver, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(Microsoft.CodeAnalysis.ReportDiagnostic.Default), new MemoryText(path, text));
        var actual = diagnostics.Select(d => d.ToString()).OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
        if (expected.Any(e => e.Contains(": error ", StringComparison.Ordinal)))
        {
            // An error stops emission for the pipeline (only the attribute definitions remain).
            Assert.All(GeneratorHarness.Sources(driver), s => Assert.Equal("TLDsl.Attributes.g.cs", s.HintName));
        }
    }

    [Fact]
    public void Attribute_pipelines_report_at_the_attribute()
    {
        const string source = """
            using TLDsl;
            [TransferPipeline("Bad")]
            [BaseModel("resnet19")]
            [Labels("a", "b")]
            [LinearLabels(1)]
            [Train(Batch = 4, Lr = 0.01, Epochs = 1)]
            public partial class BadPipeline { }
            """;
        var (driver, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(source));
        var d = Assert.Single(diagnostics, x => x.Id.StartsWith("TLD", StringComparison.Ordinal));
        Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path);
        Assert.Equal(2, d.Location.GetLineSpan().StartLinePosition.Line);
        Assert.All(GeneratorHarness.Sources(driver), s => Assert.Equal("TLDsl.Attributes.g.cs", s.HintName));
    }

    [Fact]
    public void A_pipeline_file_over_the_limit_is_one_TLD0002_at_the_file()
    {
        // Roslyn hands the generator the whole text; only the limit and one more character are copied and parsed.
        string text = "version: 1\n# " + new string('x', 3_000_000) + "\n";
        var (_, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText("pipelines/huge.tl.yaml", text));
        var d = Assert.Single(diagnostics, x => x.Id.StartsWith("TLD", StringComparison.Ordinal));
        Assert.Equal("TLD0002", d.Id);
        Assert.Equal("pipelines/huge.tl.yaml", d.Location.GetLineSpan().Path);
        Assert.Equal("The pipeline file has more than 1000000 characters, the limit; pipeline files are a few kilobytes", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Attribute_pipelines_get_the_same_ranges_at_the_argument()
    {
        const string source = """
            using TLDsl;
            [TransferPipeline("Big")]
            [BaseModel("resnet18_imagenet", Weights = "imagenet")]
            [Labels("a", "b")]
            [LinearLabels(1)]
            [Train(Batch = 2147483647, Lr = 1e39, Epochs = 1)]
            public partial class BigPipeline { }
            """;
        var (_, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(source));
        var messages = diagnostics.Where(x => x.Id == "TLD0008").Select(x => x.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Contains("train.batch must be an integer >= 1 and <= 65536, but is 2147483647", messages);
        Assert.Contains(messages, m => m.StartsWith("train.optimizer.adamw.lr must be a number >= 1e-12 and <= 1e38", StringComparison.Ordinal));
    }

    [Fact]
    public void A_valid_attribute_pipeline_generates_code_that_compiles()
    {
        const string source = """
            using TLDsl;
            namespace Demo;
            [TransferPipeline("Shapes")]
            [BaseModel("resnet18")]
            [Drop("fc")]
            [Input(32, 32)]
            [Labels("circle", "square")]
            [Dropout(1, 0.25)]
            [LinearLabels(2)]
            [Freeze(Backbone = true)]
            [Train(Batch = 4, Lr = 0.01, Epochs = 1)]
            public partial class ShapesPipeline { }
            """;
        var (driver, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(source));
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.CompileProblems(output));
        Assert.Contains(GeneratorHarness.Sources(driver), s => s.HintName == "Shapes.Model.g.cs");
    }
}
