using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TLDsl.Generator;

// Times the generator over 50 pipelines (variants of the repository's pipelines with distinct names): a cold run
// (catalogue load, first parse) and warm full runs with fresh drivers. Prints timings; asserts nothing.
string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "TLDsl.sln")))
{
    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
}
var sources = Directory.GetFiles(Path.Combine(root, "pipelines"), "*.tl.yaml").OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
var texts = Enumerable.Range(0, 50).Select(i =>
{
    string text = sources[i % sources.Length];
    int at = text.IndexOf("\nname: ", StringComparison.Ordinal) + 7;
    int end = text.IndexOf('\n', at);
    text = text[..at] + text[at..end].Trim() + "N" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + text[end..];
    return (AdditionalText)new BenchText($"pipelines/p{i}.tl.yaml", text);
}).ToArray();
var compilation = CSharpCompilation.Create("Bench", [CSharpSyntaxTree.ParseText("class A { }")], [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)]);

for (int round = 0; round < 6; round++)
{
    var watch = Stopwatch.StartNew();
    var driver = CSharpGeneratorDriver.Create([new PipelineGenerator().AsSourceGenerator()], texts).RunGenerators(compilation);
    watch.Stop();
    var result = driver.GetRunResult();
    if (round == 0) foreach (var d in result.Diagnostics) Console.WriteLine(d);
    Console.WriteLine($"{(round == 0 ? "cold" : "warm")} run {round}: {texts.Length} pipelines -> {result.GeneratedTrees.Length} files, {result.Diagnostics.Length} diagnostics, {watch.Elapsed.TotalMilliseconds:F1} ms");
}

internal sealed class BenchText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
}
