using System;
using System.IO;
using System.Threading.Tasks;
using TLDsl.Spec.Catalogue;

namespace TLDsl.Cli.Tests;

public sealed class OnnxInspectTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-onnx-cli").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Inspect_checks_that_an_onnx_file_imports_and_writes_the_layer_listing_the_build_reads()
    {
        string onnx = Path.Combine(TestFiles.RepoRoot, "tests", "fixtures", "onnx", "smallcnn_c10_opset14.onnx");
        string listing = Path.Combine(_folder, "smallcnn.layers.yaml");

        var r = await CliProcess.RunAsync(null, "inspect", onnx, "--write-layers", listing);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("import: ok, 52 layers; classifier fc2; 3 stages", r.Stdout, StringComparison.Ordinal);
        var info = CatalogueReader.Read(File.ReadAllText(listing), out var errors);
        Assert.Empty(errors);
        Assert.Equal(["fc2"], info!.Classifier);
        Assert.Equal(32, info.FeatureSize);
    }

    [Fact]
    public async Task Inspect_reports_a_truncated_onnx_file_as_one_clear_error()
    {
        string onnx = Path.Combine(TestFiles.RepoRoot, "tests", "fixtures", "onnx", "smallcnn_c10_opset14.onnx");
        string cut = Path.Combine(_folder, "cut.onnx");
        File.WriteAllBytes(cut, File.ReadAllBytes(onnx)[..5000]);

        var r = await CliProcess.RunAsync(null, "inspect", cut);

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"error: {cut}", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }
}
