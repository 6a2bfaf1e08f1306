using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using TLDsl.Runtime.Export.Torchrun;

namespace TLDsl.Cli.Tests.Torchrun;

/// <summary>What the user hears when the pipeline or the machine cannot run the torchrun program.</summary>
public sealed class TorchrunBadInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-torchrun-bad").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_feature_the_program_cannot_express_is_refused_by_key_and_nothing_is_written()
    {
        string pipeline = TorchrunHarness.SmallCnnPipeline(_folder, "Unsupported", epochs: 1);
        File.WriteAllText(pipeline, File.ReadAllText(pipeline)
            .Replace("base: { model: small_cnn, drop: [classifier] }", "base: { model: vgg11, drop: [classifier] }", StringComparison.Ordinal)
            .Replace("input: { size: [28, 28], channels: 1, normalize: { mean: [0.286], std: [0.353] } }", "input: { size: [32, 32], channels: 1, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } }", StringComparison.Ordinal));
        string target = Path.Combine(_folder, "program");
        var export = await CliProcess.RunAsync(null, "export", pipeline, "--target", "torchrun", "-o", target);
        Assert.True(export.ExitCode == 1, export.ToString());
        Assert.StartsWith($"error: {pipeline}: base.model: cannot export for torchrun: 'vgg11' is not one the program builds", export.Stderr, StringComparison.Ordinal);
        Assert.Single(export.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(target));
        Assert.Empty(Directory.GetDirectories(_folder));
    }

    [Fact]
    public async Task An_export_into_a_folder_with_files_is_refused()
    {
        string pipeline = TorchrunHarness.SmallCnnPipeline(_folder, "Occupied", epochs: 1);
        string target = Path.Combine(_folder, "program");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "mine");
        var export = await CliProcess.RunAsync(null, "export", pipeline, "--target", "torchrun", "-o", target);
        Assert.True(export.ExitCode == 1, export.ToString());
        Assert.Equal($"error: {target}: the export folder exists and is not empty; name a new folder.", export.Stderr.Trim());
        Assert.Equal("keep.txt", Path.GetFileName(Assert.Single(Directory.GetFiles(target))));
    }

    [Fact]
    public async Task A_python_without_torch_says_what_to_install()
    {
        string pipeline = TorchrunHarness.SmallCnnPipeline(_folder, "NoTorch", epochs: 1);
        string program = await TorchrunHarness.ExportAsync(pipeline, Path.Combine(_folder, "program"));
        // -S leaves site-packages (where torch lives) off the path: the same interpreter, without torch.
        var start = new ProcessStartInfo(TorchrunHarness.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-S", Path.Combine(program, "train.py") })
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        string stdout = await process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(1, process.ExitCode);
        Assert.Empty(stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("apt-get install python3-torch python3-torchvision", line, StringComparison.Ordinal);
        Assert.Contains("pip install torch torchvision", line, StringComparison.Ordinal);

        var none = Assert.Throws<InvalidOperationException>(() => TorchPython.Find([Path.Combine(_folder, "no-such-python3")]));
        Assert.Contains("no-such-python3: not found", none.Message, StringComparison.Ordinal);
        Assert.EndsWith(TorchPython.InstallHint, none.Message, StringComparison.Ordinal);
    }
}
