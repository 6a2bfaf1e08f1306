using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>examples/DogsToCats: its pipelines validate, and the transfer pipeline trains from the committed weights.</summary>
public sealed class DogsToCatsExampleTests : IDisposable
{
    private static readonly string Example = Path.Combine(TestFiles.RepoRoot, "examples", "DogsToCats");

    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-dogs").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_example_pipelines_validate()
    {
        string[] files = ["pretrain", "transfer", "scratch"];
        var result = await CliProcess.RunAsync(null, ["validate", .. files.Select(f => Path.Combine(Example, "pipelines", f + ".tl.yaml"))]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("3 pipeline file(s) checked: 0 error(s), 0 warning(s).", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_transfer_pipeline_trains_on_the_pinned_weights_and_keeps_the_backbone_frozen()
    {
        string runs = Path.Combine(_folder, "runs");
        var train = await CliProcess.RunAsync(null, "train", Path.Combine(Example, "pipelines", "transfer.tl.yaml"), "--runs", runs, "--max-steps", "4");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("stopped after step 4", train.Stdout, StringComparison.Ordinal);

        string run = Directory.GetDirectories(Path.Combine(runs, "CatsTransfer")).Single();
        string export = Path.Combine(_folder, "export");
        var exported = await CliProcess.RunAsync(null, "export", run, "--checkpoint", "last", "--out", export);
        Assert.True(exported.ExitCode == 0, exported.ToString());

        // The frozen layers hold the pre-trained values after training; the new head has five outputs.
        string pretrained = Path.Combine(Example, "pretrained", "small_cnn-fashion0-4.safetensors");
        string trained = Path.Combine(export, "model.safetensors");
        foreach (var key in new[] { "conv1.weight", "conv3.weight", "bn2.running_mean", "bn3.bias" })
        {
            Assert.Equal(Tensor(pretrained, key).Data, Tensor(trained, key).Data);
        }
        Assert.Equal([5, 128], Tensor(trained, "head.0.weight").Shape);
        Assert.Equal([5, 128], Tensor(pretrained, "head.0.weight").Shape); // the old head (classes 0-4), skipped when loading
    }

    /// <summary>One tensor of a safetensors file: 8-byte little-endian header length, JSON header, then the data.</summary>
    private static (int[] Shape, byte[] Data) Tensor(string path, string key)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        Assert.True(header.RootElement.TryGetProperty(key, out var entry), $"{path} has no tensor {key}");
        var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt32()).ToArray();
        var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        return (shape, bytes[(8 + headerLength + offsets[0])..(8 + headerLength + offsets[1])]);
    }
}
