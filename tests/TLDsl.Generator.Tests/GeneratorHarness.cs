using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TLDsl.Generator;

namespace TLDsl.Generator.Tests;

/// <summary>An in-memory AdditionalFile.</summary>
internal sealed class MemoryText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
}

/// <summary>A model file (weights, ONNX base) as an AdditionalFile: a path whose content must never be read.</summary>
internal sealed class ModelFileText(string path) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"the generator read the model file {Path}; it may only compare its path");
}

/// <summary>The global analyzer options of a project (its RootNamespace, ProjectDir and, when given, TLDslCheckModelFiles)
/// and the TLDslKind item metadata of AdditionalFiles, as the TLDsl props make the build pass them.</summary>
internal sealed class ProjectOptions(string rootNamespace, string projectDir, string? checkModelFiles = null, IReadOnlyDictionary<string, string>? kinds = null)
    : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
{
    private readonly Options _global = new(new Dictionary<string, string>
    {
        ["build_property.RootNamespace"] = rootNamespace,
        ["build_property.ProjectDir"] = projectDir,
        ["build_property.TLDslCheckModelFiles"] = checkModelFiles ?? "",
    });

    public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions => _global;

    public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

    public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        kinds is not null && kinds.TryGetValue(textFile.Path, out var kind)
            ? new Options(new Dictionary<string, string> { ["build_metadata.AdditionalFiles.TLDslKind"] = kind })
            : Options.Empty;

    private sealed class Options(Dictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
    {
        public static Options Empty { get; } = new(new Dictionary<string, string>());

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}

/// <summary>Runs the generator over sources and AdditionalFiles with step tracking on.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(System.IO.Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Where(p => !System.IO.Path.GetFileName(p).StartsWith("xunit", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    public static string RepoRoot => TLDsl.Tests.Shared.RepositoryRoot.Folder;

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) => Compilation(ReportDiagnostic.Error, sources);

    /// <summary>A compilation; <paramref name="general"/> Default keeps warnings as warnings (as the spec formats them).</summary>
    public static CSharpCompilation Compilation(ReportDiagnostic general, params string[] sources) => CSharpCompilation.Create(
        "GeneratorTestAssembly",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
            generalDiagnosticOption: general));

    public static GeneratorDriver Driver(params AdditionalText[] texts) => Driver(null, texts);

    /// <summary>A driver; <paramref name="project"/> sets the MSBuild properties a real build passes (RootNamespace, ProjectDir).</summary>
    public static GeneratorDriver Driver(ProjectOptions? project, params AdditionalText[] texts) => CSharpGeneratorDriver.Create(
        new[] { new PipelineGenerator().AsSourceGenerator() },
        texts,
        ParseOptions,
        optionsProvider: project,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(
        CSharpCompilation compilation, params AdditionalText[] texts) => Run(compilation, null, texts);

    public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(
        CSharpCompilation compilation, ProjectOptions? project, params AdditionalText[] texts)
    {
        var driver = Driver(project, texts).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (driver, output, diagnostics);
    }

    /// <summary>Compiles the generator's output (it must have no errors or warnings) and loads it under a unique name.</summary>
    public static System.Reflection.Assembly Load(Compilation output)
    {
        var problems = CompileProblems(output);
        Assert.True(problems.Count == 0, "generated code does not compile cleanly:\n" + string.Join("\n", problems));
        using var stream = new MemoryStream();
        var emit = output.WithAssemblyName("Generated" + Guid.NewGuid().ToString("N")).Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        stream.Position = 0;
        return System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromStream(stream);
    }

    /// <summary>The generated sources (hint name, text), in hint-name order.</summary>
    public static IReadOnlyList<(string HintName, string Text)> Sources(GeneratorDriver driver) =>
        driver.GetRunResult().Results.SelectMany(r => r.GeneratedSources)
            .Select(s => (s.HintName, s.SourceText.ToString()))
            .OrderBy(s => s.HintName, StringComparer.Ordinal)
            .ToList();

    /// <summary>Errors and warnings of compiling the generated code (what the consumer would see).</summary>
    public static IReadOnlyList<Diagnostic> CompileProblems(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
}
