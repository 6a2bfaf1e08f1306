using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>train -> evaluate -> predict -> export -> lr-find on a tiny pipeline over the committed sample.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-e2e").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Task<CliResult> Tldsl(params string[] args) => CliProcess.RunAsync(null, args);

    [Fact]
    public async Task Train_evaluate_predict_export_and_lr_find()
    {
        string pipeline = TestFiles.TinyPipeline(_folder);

        // train
        var train = await Tldsl("train", pipeline);
        Assert.True(train.ExitCode == 0, train.ToString());
        string run = train.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..];
        Assert.StartsWith(Path.Combine(_folder, "runs", "TinyFashion") + Path.DirectorySeparatorChar, run, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(run, ".run")));
        Assert.Matches(@"validation accuracy: [01]\.\d{4}", train.Stdout);
        Assert.Matches(@"test accuracy: [01]\.\d{4} \(\d+ images, best checkpoint\)", train.Stdout);
        Assert.Contains("finished: all phases completed, 1 epoch(s)", train.Stdout, StringComparison.Ordinal);

        // evaluate: the test split with the best checkpoint gives the accuracy train reported
        var evaluate = await Tldsl("evaluate", run);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.Matches(@"split: test \(\d+ images\)", evaluate.Stdout);
        string trainTest = System.Text.RegularExpressions.Regex.Match(train.Stdout, @"test accuracy: ([01]\.\d{4})").Groups[1].Value;
        Assert.Contains($"accuracy: {trainTest}\n", evaluate.Stdout, StringComparison.Ordinal);
        foreach (var label in TestFiles.FashionLabels)
        {
            Assert.Contains(label, evaluate.Stdout, StringComparison.Ordinal);
        }

        // predict on PNGs written from the IDX test sample
        var images = TestFiles.ReadIdx(TestFiles.Sample("test-images-idx3-ubyte.gz"), 3)
            .Select((img, i) =>
            {
                string path = Path.Combine(_folder, "images", $"image{i}.png");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                TestFiles.WritePng(path, img.Pixels, img.Width, img.Height, 1);
                return path;
            }).ToArray();
        var predict = await Tldsl(["predict", run, .. images]);
        Assert.True(predict.ExitCode == 0, predict.ToString());
        var lines = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            var parts = lines[i].Split('\t');
            Assert.Equal(images[i], parts[0]);
            Assert.Contains(parts[1], TestFiles.FashionLabels);
            double p = double.Parse(parts[2], CultureInfo.InvariantCulture);
            Assert.InRange(p, 0.1, 1.0); // the best of 10 classes has at least 1/10
        }
        var top = await Tldsl("predict", run, images[0], "--top", "3", "--format", "json");
        Assert.True(top.ExitCode == 0, top.ToString());
        var first = JsonDocument.Parse(top.Stdout).RootElement[0];
        var ranked = first.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("probability").GetDouble()).ToArray();
        Assert.Equal(3, ranked.Length);
        Assert.True(ranked[0] >= ranked[1] && ranked[1] >= ranked[2]);
        Assert.Equal(lines[0].Split('\t')[1], first.GetProperty("label").GetString());

        // a folder stands for the images under it, in name order
        var folder = await Tldsl("predict", run, Path.Combine(_folder, "images"));
        Assert.True(folder.ExitCode == 0, folder.ToString());
        Assert.Equal(lines, folder.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray());
        string empty = Directory.CreateDirectory(Path.Combine(_folder, "no-images")).FullName;
        var none = await Tldsl("predict", run, empty);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("the folder holds no images", none.Stderr, StringComparison.Ordinal);

        var missingImage = await Tldsl("predict", run, Path.Combine(_folder, "none.png"));
        Assert.Equal(1, missingImage.ExitCode);
        Assert.Contains("image file not found", missingImage.Stderr, StringComparison.Ordinal);

        // export
        string export = Path.Combine(_folder, "export");
        Directory.CreateDirectory(export);
        File.WriteAllBytes(Path.Combine(export, "model.safetensors.tmp"), new byte[60_000_000]); // left by an interrupted export
        var exported = await Tldsl("export", run + Path.DirectorySeparatorChar, "--out", export); // as a shell completes a folder
        Assert.True(exported.ExitCode == 0, exported.ToString());
        Assert.Contains($"from the run `TinyFashion/{Path.GetFileName(run)}` (checkpoint `epoch-", File.ReadAllText(Path.Combine(export, "README.md")), StringComparison.Ordinal);
        Assert.Equal(TestFiles.FashionLabels, File.ReadAllLines(Path.Combine(export, "labels.txt")));
        Assert.Equal(File.ReadAllText(pipeline), File.ReadAllText(Path.Combine(export, "pipeline.tl.yaml")));
        Assert.Contains("load_file(\"model.safetensors\")", File.ReadAllText(Path.Combine(export, "README.md")), StringComparison.Ordinal);
        var header = SafetensorsHeader(Path.Combine(export, "model.safetensors"));
        Assert.Equal(new[] { 10L, 32L }, header.GetProperty("head.3.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("F32", header.GetProperty("layer4.2.conv2.weight").GetProperty("dtype").GetString());

        var inspectWeights = await Tldsl("inspect", Path.Combine(export, "model.safetensors"));
        Assert.True(inspectWeights.ExitCode == 0, inspectWeights.ToString());
        Assert.Matches(@"head\.3\.weight\s+float32\s+\[10, 32\]\s+320", inspectWeights.Stdout);

        // lr-find: a short sweep, a suggestion or an explicit none, and a plot
        string png = Path.Combine(_folder, "lr.png");
        var lr = await Tldsl("lr-find", pipeline, "--out", png, "--steps", "20");
        Assert.True(lr.ExitCode == 0, lr.ToString());
        Assert.Matches(@"suggested learning rate: (\d\.?\d*E[+-]\d+|none)", lr.Stdout);
        Assert.Matches(@"steps: \d+ \(", lr.Stdout);
        Assert.True(new FileInfo(png).Length > 1000);
        Assert.Single(Directory.GetDirectories(Path.Combine(_folder, "runs", "TinyFashion"))); // lr-find writes no run
    }

    private static JsonElement SafetensorsHeader(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)length)).RootElement;
    }
}
