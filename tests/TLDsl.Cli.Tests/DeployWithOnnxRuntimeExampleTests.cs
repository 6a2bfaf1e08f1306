using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace TLDsl.Cli.Tests;

/// <summary>examples/DeployWithOnnxRuntime: a run exported with <c>tldsl export --format onnx</c> classifies images in
/// an app that carries no TorchSharp, with the same answers as <c>tldsl predict</c>.</summary>
public sealed class DeployWithOnnxRuntimeExampleTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-deploy-onnx").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The example's build output (the test project builds it: see the csproj).</summary>
    private static string ExampleOutput
    {
        get
        {
            // tests/TLDsl.Cli.Tests/bin/<Configuration>/<tfm>/ -> examples/DeployWithOnnxRuntime/bin/<Configuration>/<tfm>/
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return Path.Combine(TestFiles.RepoRoot, "examples", "DeployWithOnnxRuntime", "bin", tfm.Parent!.Name, tfm.Name);
        }
    }

    [Fact]
    public void The_example_output_has_no_torchsharp_assembly_or_native_library()
    {
        var files = Directory.GetFiles(ExampleOutput, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray();
        Assert.Contains("DeployWithOnnxRuntime.dll", files);
        Assert.Contains("TLDsl.Inference.dll", files);
        Assert.Contains("Microsoft.ML.OnnxRuntime.dll", files);
        Assert.DoesNotContain(files, f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase) || f.StartsWith("TLDsl.Runtime", StringComparison.Ordinal)
            || f.Contains("c10", StringComparison.OrdinalIgnoreCase) || f.Contains("TorchVision", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_exported_model_predicts_as_tldsl_predict_does()
    {
        string pipeline = TestFiles.TinyPipeline(_folder, "DeployFashion");
        string runs = Path.Combine(_folder, "runs");
        var train = await CliProcess.RunAsync(null, "train", pipeline, "--runs", runs);
        Assert.True(train.ExitCode == 0, train.ToString());
        string run = Directory.GetDirectories(Path.Combine(runs, "DeployFashion")).Single();

        string export = Path.Combine(_folder, "deploy");
        var exported = await CliProcess.RunAsync(null, "export", run, "--format", "onnx", "--out", export);
        Assert.True(exported.ExitCode == 0, exported.ToString());
        string model = Path.Combine(export, "model.onnx");
        Assert.True(File.Exists(model), exported.ToString());

        // Gray 28x28 images from the test split, and an RGB photo of another size and aspect.
        var images = TestFiles.ReadIdx(TestFiles.Sample("test-images-idx3-ubyte.gz"), 6)
            .Select((image, i) =>
            {
                string path = Path.Combine(_folder, $"test{i}.png");
                TestFiles.WritePng(path, image.Pixels, image.Width, image.Height, 1);
                return path;
            })
            .Append(Path.Combine(TestFiles.RepoRoot, "tests", "fixtures", "images", "chelsea.png"))
            .ToArray();

        var predicted = await CliProcess.RunAsync(null, ["predict", run, .. images, "--top", "3"]);
        Assert.True(predicted.ExitCode == 0, predicted.ToString());
        var deployed = await RunExample([model, .. images, "--top", "3"]);
        Assert.True(deployed.ExitCode == 0, deployed.Output);

        var expected = Lines(predicted.Stdout);
        var actual = Lines(deployed.Output);
        Assert.Equal(images.Length * 4, expected.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // Same image, same label, same probability to the 4 printed decimals (one unit of rounding allowed).
            var (e, a) = (expected[i].Split('\t', ' '), actual[i].Split('\t', ' '));
            Assert.Equal(e[..^1], a[..^1]);
            double pe = double.Parse(e[^1], CultureInfo.InvariantCulture), pa = double.Parse(a[^1], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(pe - pa) <= 1.5e-4, $"line {i}: '{expected[i]}' vs '{actual[i]}'");
        }

        output.WriteLine(deployed.Output);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    private static async Task<(int ExitCode, string Output)> RunExample(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(ExampleOutput, "DeployWithOnnxRuntime.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
