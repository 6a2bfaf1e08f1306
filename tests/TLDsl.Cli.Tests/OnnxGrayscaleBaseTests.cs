using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TLDsl.Spec.Catalogue;
using TLDsl.Tests.PyTorch;

namespace TLDsl.Cli.Tests;

/// <summary>A PyTorch-exported grayscale CNN (input float [batch, 1, 28, 28]) as <c>base: { onnx: ... }</c>: inspect,
/// validate, train and predict with the CLI, as a user would.</summary>
public sealed class OnnxGrayscaleBaseTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-gray-onnx-cli").FullName;
    private readonly TorchvisionOnnxExports _exports = new();

    public void Dispose()
    {
        _exports.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_grayscale_onnx_base_inspects_trains_and_predicts()
    {
        _exports.Export("gray_cnn");
        string onnx = Path.Combine(_folder, "gray_cnn.onnx");
        File.Copy(_exports.Onnx("gray_cnn"), onnx);

        // inspect: the graph imports and the listing records one channel
        string listing = Path.Combine(_folder, "gray_cnn.layers.yaml");
        var inspect = await CliProcess.RunAsync(null, "inspect", onnx, "--write-layers", listing);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("import: ok", inspect.Stdout, StringComparison.Ordinal);
        var info = CatalogueReader.Read(File.ReadAllText(listing), out var errors);
        Assert.Empty(errors);
        Assert.Equal(1, info!.Channels);

        string pipeline = Path.Combine(_folder, "GrayOnnx.tl.yaml");
        File.WriteAllText(pipeline, $$"""
            version: 1
            name: GrayOnnx
            base: { onnx: gray_cnn.onnx, layers: gray_cnn.layers.yaml, drop: [classifier] }
            input: { size: [28, 28], channels: 1, normalize: { mean: [0.5], std: [0.5] } }
            labels: [{{string.Join(", ", TestFiles.FashionLabels)}}]
            head: [linear: labels]
            data:
              train: { idx: { images: "{{TestFiles.Sample("train-images-idx3-ubyte.gz")}}", labels: "{{TestFiles.Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.2, seed: 3 }
              limit_per_class: 10
            train:
              seed: 7
              batch: 16
              optimizer: { adam: { lr: 3e-3 } }
              phases:
                - { epochs: 2 }
              runs: runs
            """);

        var validate = await CliProcess.RunAsync(null, "validate", pipeline);
        Assert.True(validate.ExitCode == 0, validate.ToString());

        var train = await CliProcess.RunAsync(null, "train", pipeline);
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("finished: all phases completed, 2 epoch(s)", train.Stdout, StringComparison.Ordinal);
        string run = train.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).First(l => l.StartsWith("run folder: ", StringComparison.Ordinal))["run folder: ".Length..];

        // predict on grayscale PNGs written from the IDX test sample
        var images = TestFiles.ReadIdx(TestFiles.Sample("test-images-idx3-ubyte.gz"), 3).Select((img, i) =>
        {
            string path = Path.Combine(_folder, "images", $"image{i}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            TestFiles.WritePng(path, img.Pixels, img.Width, img.Height, 1);
            return path;
        }).ToArray();
        var predict = await CliProcess.RunAsync(null, ["predict", run, .. images]);
        Assert.True(predict.ExitCode == 0, predict.ToString());
        var lines = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(3, lines.Length);
        foreach (var (line, image) in lines.Zip(images))
        {
            var parts = line.Split('\t');
            Assert.Equal(image, parts[0]);
            Assert.Contains(parts[1], TestFiles.FashionLabels);
            Assert.InRange(double.Parse(parts[2], CultureInfo.InvariantCulture), 0.1, 1.0);
        }
    }
}
