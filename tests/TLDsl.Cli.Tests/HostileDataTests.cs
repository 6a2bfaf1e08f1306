using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>Careless and hostile images through the CLI: one bad image does not cost the others their result, the
/// decoded-size limit is a command-line option, and a class folder that cannot be a class is named.</summary>
public sealed class HostileDataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-hostile").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Task<CliResult> Tldsl(params string[] args) => CliProcess.RunAsync(null, args);

    private string Image(string relative, byte shade)
    {
        string path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var pixels = Enumerable.Range(0, 28 * 28).Select(i => (byte)(shade + (i % 7))).ToArray();
        TestFiles.WritePng(path, pixels, 28, 28, 1);
        return path;
    }

    /// <summary>small_cnn from scratch on two classes of three images each, labels from the folders.</summary>
    private string Pipeline()
    {
        string yaml = """
            version: 1
            name: Hostile
            base: { model: small_cnn, weights: none, drop: classifier }
            input: { size: [28, 28], channels: 1, normalize: none }
            labels: from_data
            head: [linear: labels]
            data:
              train: { folder: data }
              valid: { split: 0.34, seed: 1 }
            train:
              seed: 1
              batch: 4
              optimizer: { adamw: { lr: 1e-3 } }
              phases:
                - { name: scratch, epochs: 1 }
              runs: runs
            """;
        string path = Path.Combine(_folder, "hostile.tl.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private async Task<string> TrainAsync()
    {
        for (int i = 0; i < 3; i++)
        {
            Image($"data/dark/{i}.png", (byte)(10 + i));
            Image($"data/light/{i}.png", (byte)(200 + i));
        }
        var train = await Tldsl("train", Pipeline());
        Assert.True(train.ExitCode == 0, train.ToString());
        return train.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..];
    }

    [Fact]
    public async Task Predict_classifies_the_good_images_and_names_the_bad_one()
    {
        string run = await TrainAsync();
        string good1 = Image("images/a.png", 20);
        string bad = Image("images/b.png", 30);
        byte[] bytes = File.ReadAllBytes(bad);
        File.WriteAllBytes(bad, bytes[..(bytes.Length / 2)]);
        string good2 = Image("images/c.png", 220);

        var r = await Tldsl("predict", run, Path.Combine(_folder, "images"));
        Assert.True(r.ExitCode == 1, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToArray();
        Assert.Equal([good1, good2], lines);
        Assert.DoesNotContain("NNPACK", r.Stderr, StringComparison.Ordinal);
        string error = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: Cannot decode image '{bad}': truncated or corrupt image data", error, StringComparison.Ordinal);

        var json = await Tldsl("predict", run, good1, bad, good2, "--format", "json");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal([good1, good2], JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().Select(e => e.GetProperty("image").GetString()));
        Assert.Contains(bad, json.Stderr, StringComparison.Ordinal);

        // The decoded-size limit, lowered below these 784-pixel images, refuses each with the option to raise it.
        var limited = await Tldsl("predict", run, good1, "--max-megapixels", "0.0005");
        Assert.Equal(1, limited.ExitCode);
        Assert.Contains($"Image '{good1}' is 28x28 (0.000784 megapixels), over the limit of 0.0005 megapixels", limited.Stderr, StringComparison.Ordinal);
        var raised = await Tldsl("predict", run, good1, "--max-megapixels", "0.001");
        Assert.True(raised.ExitCode == 0, raised.ToString());

        var invalid = await Tldsl("predict", run, good1, "--max-megapixels", "0");
        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("--max-megapixels must be a positive number of megapixels", invalid.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_names_a_class_folder_that_cannot_be_a_class()
    {
        Image("data/cat/0.png", 10);
        Image("data/.../0.png", 20);
        var r = await Tldsl("train", Pipeline());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"'{Path.Combine(_folder, "data", "...")}': a class name needs at least one letter or digit", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder, "runs")), "no run should start");
    }
}
