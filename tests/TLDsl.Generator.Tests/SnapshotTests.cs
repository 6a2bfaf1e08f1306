using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TLDsl.Generator.Tests;

/// <summary>
/// The generated sources of each pipeline in pipelines/, of each ONNX test pipeline in Onnx/ (with its layer listing),
/// and of each example project under examples/ (its pipelines/**/*.tl.yaml, the AdditionalFiles its project names, and
/// its attribute pipelines, under its RootNamespace and ProjectDir, as a real build passes them) against committed
/// baselines (Snapshots/&lt;case&gt;/&lt;hint&gt;.verified.cs; the attribute declarations, the same for every case, in
/// Snapshots/TLDsl.Attributes.verified.cs). On a mismatch a .received.cs is written next to the
/// baseline; TLDSL_ACCEPT=1 overwrites the baselines.
/// </summary>
public sealed class SnapshotTests
{
    private const string ExamplePrefix = "examples/";
    private const string OnnxPrefix = "onnx/";
    private const string SharedHint = "TLDsl.Attributes.g.cs";

    private static string Root => GeneratorHarness.RepoRoot;

    private static string OnnxFolder => Path.Combine(Root, "tests", "TLDsl.Generator.Tests", "Onnx");

    public static TheoryData<string> Pipelines()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names())
        {
            data.Add(name);
        }
        return data;
    }

    private static List<string> Names()
    {
        var data = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "pipelines"), "*.tl.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file).Replace(".tl.yaml", "", StringComparison.Ordinal));
        }
        foreach (var file in Directory.GetFiles(OnnxFolder, "*.tl.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(OnnxPrefix + Path.GetFileName(file).Replace(".tl.yaml", "", StringComparison.Ordinal));
        }
        foreach (var dir in Directory.GetDirectories(Path.Combine(Root, "examples")).OrderBy(d => d, StringComparer.Ordinal))
        {
            if (Directory.GetFiles(dir, "*.csproj").Length > 0)
            {
                data.Add(ExamplePrefix + Path.GetFileName(dir));
            }
        }
        return data;
    }

    /// <summary>The compilation, project options and AdditionalFiles of a case.</summary>
    internal static (CSharpCompilation Compilation, ProjectOptions? Project, AdditionalText[] Texts) Inputs(string name)
    {
        if (name.StartsWith(ExamplePrefix, StringComparison.Ordinal))
        {
            string dir = Path.Combine(Root, "examples", name.Substring(ExamplePrefix.Length));
            string csproj = File.ReadAllText(Directory.GetFiles(dir, "*.csproj").Single());
            var ns = Regex.Match(csproj, "<RootNamespace>([^<]+)</RootNamespace>");
            var extra = Regex.Matches(csproj, "<AdditionalFiles\\s+Include=\"([^\"*]+)\"").Select(m => Path.Combine(dir, m.Groups[1].Value));
            var pipelines = Directory.Exists(Path.Combine(dir, "pipelines"))
                ? Directory.GetFiles(Path.Combine(dir, "pipelines"), "*.tl.yaml", SearchOption.AllDirectories)
                : Array.Empty<string>();
            // The model files the TLDsl props make AdditionalFiles (by path only: a model file is never read).
            var models = ModelExtensions.SelectMany(e => Directory.GetFiles(dir, "*" + e, SearchOption.AllDirectories))
                .Where(f => !IsBuildOutput(dir, f)).Select(Path.GetFullPath).Order(StringComparer.Ordinal)
                .Select(f => (AdditionalText)new ModelFileText(f));
            var texts = pipelines.Concat(extra).Select(Path.GetFullPath).Distinct().OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (AdditionalText)new MemoryText(f, File.ReadAllText(f))).Concat(models).ToArray();
            var sources = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutput(dir, f))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (Path: f, Text: File.ReadAllText(f)))
                .Where(f => f.Text.Contains("[TransferPipeline", StringComparison.Ordinal))
                .Select(f => CSharpSyntaxTree.ParseText(f.Text, GeneratorHarness.ParseOptions, path: f.Path));
            var compilation = GeneratorHarness.Compilation().AddSyntaxTrees(sources);
            var project = new ProjectOptions(ns.Success ? ns.Groups[1].Value : Path.GetFileName(dir), dir + Path.DirectorySeparatorChar);
            return (compilation, project, texts);
        }
        if (name.StartsWith(OnnxPrefix, StringComparison.Ordinal))
        {
            // Paths as a project at the test folder would pass them: the pipeline and its listing side by side.
            var texts = Directory.GetFiles(OnnxFolder, "*.yaml").OrderBy(f => f, StringComparer.Ordinal)
                .Where(f => !f.EndsWith(".tl.yaml", StringComparison.Ordinal) || Path.GetFileName(f) == name[OnnxPrefix.Length..] + ".tl.yaml")
                .Select(f => (AdditionalText)new MemoryText(OnnxPrefix + Path.GetFileName(f), File.ReadAllText(f)))
                // The ONNX base, which such a project names with <AdditionalFiles Include="../fixtures/onnx/..." TLDslKind="model" />.
                .Append(new ModelFileText("../fixtures/onnx/smallcnn_c10_opset14.onnx")).ToArray();
            return (GeneratorHarness.Compilation(), null, texts);
        }
        // The repository's pipelines/ are run by the CLI; torchvision-resnet18-file's weights are downloaded by its user
        // after any build: a project holding them would set TLDslCheckModelFiles to false.
        string fileName = name + ".tl.yaml";
        return (GeneratorHarness.Compilation(), new ProjectOptions("", "", checkModelFiles: "false"),
            new AdditionalText[] { new MemoryText("pipelines/" + fileName, File.ReadAllText(Path.Combine(Root, "pipelines", fileName))) });
    }

    private static readonly string[] ModelExtensions = { ".pth", ".pt", ".safetensors", ".dat", ".onnx" };

    private static bool IsBuildOutput(string dir, string file)
    {
        string relative = Path.GetRelativePath(dir, file).Replace('\\', '/');
        return relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal);
    }

    internal static (string HintName, string Text)[] Generate(string name)
    {
        var (compilation, project, texts) = Inputs(name);
        var (driver, output, diagnostics) = GeneratorHarness.Run(compilation, project, texts);
        Assert.Empty(diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var problems = GeneratorHarness.CompileProblems(output);
        Assert.True(problems.Count == 0, "generated code does not compile cleanly:\n" + string.Join("\n", problems));
        return GeneratorHarness.Sources(driver).ToArray();
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Generated_sources_match_the_verified_baselines(string name)
    {
        var sources = Generate(name);
        string folder = Path.Combine(Root, "tests", "TLDsl.Generator.Tests", "Snapshots", name);
        Directory.CreateDirectory(folder);
        bool accept = Environment.GetEnvironmentVariable("TLDSL_ACCEPT") == "1";
        var mismatches = new System.Collections.Generic.List<string>();
        foreach (var (hint, text) in sources)
        {
            // The attribute declarations are the same for every case: one baseline for all.
            string home = hint == SharedHint ? Path.Combine(Root, "tests", "TLDsl.Generator.Tests", "Snapshots") : folder;
            string verified = Path.Combine(home, hint.Replace(".g.cs", ".verified.cs", StringComparison.Ordinal));
            string received = Path.Combine(home, hint.Replace(".g.cs", ".received.cs", StringComparison.Ordinal));
            string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
            if (expected == text)
            {
                File.Delete(received);
                continue;
            }
            if (accept)
            {
                File.WriteAllText(verified, text);
                continue;
            }
            File.WriteAllText(received, text);
            mismatches.Add(received);
        }
        var stale = Directory.GetFiles(folder, "*.verified.cs")
            .Select(Path.GetFileName)
            .Except(sources.Where(s => s.HintName != SharedHint).Select(s => s.HintName.Replace(".g.cs", ".verified.cs", StringComparison.Ordinal)))
            .ToList();
        Assert.True(mismatches.Count == 0, "generated sources differ from the baselines; see " + string.Join(", ", mismatches) + " (TLDSL_ACCEPT=1 accepts)");
        Assert.True(accept || stale.Count == 0, "baselines without a generated source: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Output_is_identical_under_a_hostile_culture(string name)
    {
        var invariant = Generate(name);
        var hostile = (CultureInfo)CultureInfo.GetCultureInfo("fa-IR").Clone();
        hostile.NumberFormat.NegativeSign = "\u2212";
        hostile.NumberFormat.NumberDecimalSeparator = ",";
        hostile.NumberFormat.NumberGroupSeparator = ".";
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = hostile;
            CultureInfo.CurrentUICulture = hostile;
            var again = Generate(name);
            Assert.Equal(invariant, again);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = ui;
        }
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        foreach (var name in Names())
        {
            Assert.Equal(Generate(name), Generate(name));
        }
    }
}
