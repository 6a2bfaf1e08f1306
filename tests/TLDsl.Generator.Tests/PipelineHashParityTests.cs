using System;
using System.IO;
using System.Text;
using TLDsl.Runtime.Generated;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Generator.Tests;

/// <summary>The hash the generator compiles in is the one the runtime computes for the same file, so the "differs from
/// the pipeline compiled into this assembly" and resume checks accept the file the assembly was built from.</summary>
public sealed class PipelineHashParityTests : IDisposable
{
    private const string Pipeline = """
        version: 1
        name: HashParity
        base:
          model: resnet18
          drop: [fc]
        input: { size: [32, 32] }
        labels: [circle, square]
        head:
          - linear: labels
        train:
          batch: 2
          optimizer: { sgd: { lr: 0.1 } }
          epochs: 1
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-hash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("\n", false)]
    [InlineData("\r\n", false)]
    [InlineData("\r\n", true)]
    [InlineData("\n", true)]
    public void The_compiled_in_hash_is_the_runtimes_hash_of_the_file(string lineEnd, bool bom)
    {
        string text = Pipeline.ReplaceLineEndings(lineEnd) + lineEnd;
        string path = Path.Combine(_dir, "parity.tl.yaml");
        File.WriteAllText(path, text, new UTF8Encoding(bom));

        // The compiler hands the generator the decoded text: line ends as in the file, no byte-order mark.
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText(path, text));
        Assert.Empty(diagnostics);
        var type = GeneratorHarness.Load(output).GetType("TLDsl.Generated.HashParityPipeline")!;
        string compiled = (string)type.GetField("Sha256")!.GetValue(null)!;
        string embedded = (string)type.GetField("Text")!.GetValue(null)!;

        Assert.Equal(compiled, PipelineFile.Load(path).Hash);
        Assert.Equal(compiled, GeneratedPipelineSupport.Sha256(File.ReadAllText(path)));
        Assert.Equal(compiled, GeneratedPipelineSupport.Sha256(embedded));
        Assert.Equal(compiled, PipelineFile.Parse(embedded, path).Hash);
    }

    [Fact]
    public void A_file_with_other_line_ends_is_another_pipeline()
    {
        string path = Path.Combine(_dir, "parity.tl.yaml");
        File.WriteAllText(path, Pipeline.ReplaceLineEndings("\r\n"));
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText(path, Pipeline.ReplaceLineEndings("\n")));
        Assert.Empty(diagnostics);
        var type = GeneratorHarness.Load(output).GetType("TLDsl.Generated.HashParityPipeline")!;
        Assert.NotEqual((string)type.GetField("Sha256")!.GetValue(null)!, PipelineFile.Load(path).Hash);
    }
}
