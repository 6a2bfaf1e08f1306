using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TLDsl.Generator;

// Times the generator over 50 pipelines (variants of the repository's pipelines/*.tl.yaml with distinct names).
//   cold:        the first run in a fresh process (JIT, catalogue load), median over several child processes; and
//                the same with Roslyn's generator machinery warmed first by a stand-in generator, as in a compiler
//                that has already parsed the project and run other generators: what is left is this generator's own
//                first-run cost (its code, YamlDotNet's, the catalogue)
//   warm:        median of N rounds, a fresh driver each round (nothing cached by the driver), after W unmeasured
//                rounds and a pause that let tiered compilation finish (else "warm" rounds still run tier-0 code)
//   incremental: one pipeline edited after a full run, then the same driver re-run
// "generator" is the generator's own time from GeneratorDriver.GetTimingInfo(); "driver" is the wall time of
// RunGenerators (the generator plus Roslyn's own work); "CPU" is the process's CPU time over the same span, which a
// busy shared machine inflates less than wall time. Prints figures and ratios to the 200 ms target; asserts nothing.
//   GeneratorBench [--rounds N] [--warmup W] [--processes K]   (K child processes for each cold row)
const double TargetMs = 200;
int rounds = IntOption("--rounds", 15);
int processes = IntOption("--processes", 5);
int warmup = IntOption("--warmup", 20);

string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "TLDsl.sln")))
{
    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
}
var sources = Directory.GetFiles(Path.Combine(root, "pipelines"), "*.tl.yaml").OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
var texts = Enumerable.Range(0, 50).Select(i => (AdditionalText)new BenchText($"pipelines/p{i}.tl.yaml", Rename(sources[i % sources.Length], "N" + Invariant(i)))).ToArray();
var compilation = CSharpCompilation.Create("Bench", [CSharpSyntaxTree.ParseText("class A { }")], [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)]);

if (args.Contains("--cold"))
{
    // Child process: one cold run, one machine-readable line.
    if (args.Contains("--prewarm"))
    {
        CSharpGeneratorDriver.Create([new WarmUpGenerator().AsSourceGenerator()], texts).RunGenerators(compilation);
    }

    var once = Time(() => Fresh().RunGenerators(compilation));
    Console.WriteLine(FormattableString.Invariant($"COLD {once.Generator} {once.Driver} {once.Cpu} {once.AllocatedMb}"));
    return;
}

var colds = new List<Sample>();
var prewarmed = new List<Sample>();
for (int p = 0; p < processes; p++)
{
    colds.Add(ColdInChild(prewarm: false));
    prewarmed.Add(ColdInChild(prewarm: true));
}

// The first run in this process is cold too; it also reports what the pipelines produce.
var first = Fresh().RunGenerators(compilation);
var result = first.GetRunResult();
foreach (var d in result.Diagnostics)
{
    Console.WriteLine(d);
}

for (int r = 0; r < warmup; r++)
{
    Fresh().RunGenerators(compilation);
}

Thread.Sleep(1000); // tier-1 compilation happens on a background thread once calls stop arriving
var warm = new List<Sample>();
for (int r = 0; r < rounds; r++)
{
    warm.Add(Time(() => Fresh().RunGenerators(compilation)));
}

// Incremental: a semantic edit (a renamed pipeline: its model is re-emitted) and a comment-only edit (re-parsed, not
// re-emitted), each against a driver that has just run over all 50 pipelines.
var edited = texts[7];
string editedText = edited.GetText()!.ToString();
var rename = new List<Sample>();
var comment = new List<Sample>();
for (int r = 0; r < rounds; r++)
{
    var full = Fresh().RunGenerators(compilation);
    rename.Add(Time(() => full.ReplaceAdditionalText(edited, new BenchText(edited.Path, Rename(editedText, "Edited" + Invariant(r)))).RunGenerators(compilation)));
    full = Fresh().RunGenerators(compilation);
    comment.Add(Time(() => full.ReplaceAdditionalText(edited, new BenchText(edited.Path, editedText + "# edited " + Invariant(r) + "\n")).RunGenerators(compilation)));
}

Console.WriteLine($"{texts.Length} pipelines -> {result.GeneratedTrees.Length} generated files, {result.Diagnostics.Length} diagnostics; " +
    $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {(IsOptimized() ? "Release" : "Debug")}");
Console.WriteLine($"{"",-36}{"generator",12}{"driver",10}{"CPU",10}{"alloc",10}");
if (colds.Count > 0)
{
    Row($"cold (median of {colds.Count} processes)", colds);
    Row("cold, Roslyn warmed first", prewarmed);
}
Row($"warm (median of {warm.Count} fresh drivers)", warm);
Row("incremental: 1 pipeline renamed", rename);
Row("incremental: 1 comment edited", comment);
List<Sample> cold = colds.Count > 0 ? colds : [new Sample(double.NaN, double.NaN, double.NaN, double.NaN)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"target {TargetMs:F0} ms for 50 pipelines: warm generator {Median(warm, s => s.Generator) / TargetMs:F2}x, warm driver {Median(warm, s => s.Driver) / TargetMs:F2}x, ") + string.Create(CultureInfo.InvariantCulture,
    $"cold generator {Median(cold, s => s.Generator) / TargetMs:F2}x, cold driver {Median(cold, s => s.Driver) / TargetMs:F2}x (below 1 meets it)"));
Console.WriteLine(FormattableString.Invariant(
    $"warm driver spread: {warm.Min(s => s.Driver):F1}..{warm.Max(s => s.Driver):F1} ms; cold driver spread: {cold.Min(s => s.Driver):F1}..{cold.Max(s => s.Driver):F1} ms"));

GeneratorDriver Fresh() => CSharpGeneratorDriver.Create([new PipelineGenerator().AsSourceGenerator()], texts);

static Sample Time(Func<GeneratorDriver> run)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    long allocated = GC.GetTotalAllocatedBytes(precise: true);
    var watch = Stopwatch.StartNew();
    var driver = run();
    watch.Stop();
    process.Refresh();
    var timing = driver.GetTimingInfo();
    return new Sample(
        timing.GeneratorTimes.Sum(g => g.ElapsedTime.TotalMilliseconds),
        watch.Elapsed.TotalMilliseconds,
        (process.TotalProcessorTime - cpu).TotalMilliseconds,
        (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0);
}

Sample ColdInChild(bool prewarm)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
    {
        start.ArgumentList.Add(typeof(BenchText).Assembly.Location);
    }
    start.ArgumentList.Add("--cold");
    if (prewarm)
    {
        start.ArgumentList.Add("--prewarm");
    }

    using var child = Process.Start(start)!;
    string output = child.StandardOutput.ReadToEnd();
    child.WaitForExit();
    var line = output.Split('\n').Single(l => l.StartsWith("COLD ", StringComparison.Ordinal)).Split(' ');
    return new Sample(Parse(line[1]), Parse(line[2]), Parse(line[3]), Parse(line[4]));
}

static void Row(string label, List<Sample> samples) => Console.WriteLine(FormattableString.Invariant(
    $"{label,-36}{Median(samples, s => s.Generator),9:F1} ms{Median(samples, s => s.Driver),7:F1} ms{Median(samples, s => s.Cpu),7:F1} ms{Median(samples, s => s.AllocatedMb),7:F1} MB"));

static double Median(List<Sample> samples, Func<Sample, double> of)
{
    var sorted = samples.Select(of).OrderBy(x => x).ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static string Rename(string text, string suffix)
{
    int at = text.IndexOf("\nname: ", StringComparison.Ordinal) + 7;
    int end = text.IndexOf('\n', at);
    return text[..at] + text[at..end].Trim() + suffix + text[end..];
}

int IntOption(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);

static string Invariant(int i) => i.ToString(CultureInfo.InvariantCulture);

static bool IsOptimized() =>
    typeof(PipelineGenerator).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false).OfType<DebuggableAttribute>().All(a => !a.IsJITOptimizerDisabled);

/// <summary>One timed run: the generator's own time, the driver's wall time and the process CPU time (ms), and MB allocated.</summary>
internal readonly record struct Sample(double Generator, double Driver, double Cpu, double AllocatedMb);

/// <summary>
/// Exercises what PipelineGenerator asks of Roslyn (post-initialisation source with doc comments, AdditionalFiles,
/// ForAttributeWithMetadataName, sources added) with trivial work, so that Roslyn's own code is JIT-compiled.
/// </summary>
internal sealed class WarmUpGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        context.RegisterPostInitializationOutput(static c => c.AddSource("WarmUp.g.cs",
            "namespace WarmUp\n{\n    /// <summary>A stand-in.</summary>\n    /// <param name=\"x\">A value.</param>\n    [System.AttributeUsage(System.AttributeTargets.Class)]\n    internal sealed class WarmUpAttribute : System.Attribute { public WarmUpAttribute(string x) { } }\n}\n"));
        var files = context.AdditionalTextsProvider
            .Select(static (t, ct) => (t.Path, Text: t.GetText(ct)?.ToString() ?? ""))
            .Combine(context.AnalyzerConfigOptionsProvider.Select(static (p, _) => p.GlobalOptions.TryGetValue("build_property.RootNamespace", out var ns) ? ns : ""))
            .Select(static (x, _) => x.Left.Text.Length);
        var classes = context.SyntaxProvider.ForAttributeWithMetadataName("WarmUp.WarmUpAttribute", static (n, _) => n is not null, static (c, _) => c.TargetSymbol.Name);
        context.RegisterSourceOutput(files.Collect(), static (spc, lengths) => spc.AddSource("WarmUpFiles.g.cs", "// " + lengths.Length.ToString(CultureInfo.InvariantCulture) + "\n"));
        context.RegisterSourceOutput(classes, static (spc, name) => spc.AddSource(name + ".g.cs", "// " + name + "\n"));
    }
}

/// <summary>An AdditionalFile held in memory; its text is made once, as the compiler's own AdditionalFiles are.</summary>
internal sealed class BenchText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}
