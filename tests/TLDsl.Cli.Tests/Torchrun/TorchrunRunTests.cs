using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using static TorchSharp.torch;

namespace TLDsl.Cli.Tests.Torchrun;

/// <summary>One small_cnn pipeline exported and trained by two gloo worker processes (2 epochs, 30 images per class),
/// shared by the tests that read its run folder.</summary>
public sealed class TwoWorkerRun : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("tldsl-torchrun").FullName;

    public string Run => Path.Combine(Folder, "run");

    internal CliResult[] Workers { get; private set; } = [];

    public async Task InitializeAsync()
    {
        string pipeline = TorchrunHarness.SmallCnnPipeline(Folder, "TorchrunTiny", epochs: 2);
        string program = await TorchrunHarness.ExportAsync(pipeline, Path.Combine(Folder, "program"));
        Workers = await TorchrunHarness.RunAsync(program, 2, "--run-dir", Run);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>The run folder of the exported program is one TLDsl reads: evaluate, predict, and the same logits.</summary>
public sealed class TorchrunRunTests(TwoWorkerRun fixture) : IClassFixture<TwoWorkerRun>
{
    [Fact]
    public async Task Two_gloo_workers_train_a_run_that_evaluate_and_predict_accept_with_the_programs_own_predictions()
    {
        TorchrunHarness.AssertAllSucceeded(fixture.Workers);
        string run = fixture.Run;
        Assert.Contains("over 2 process(es)", fixture.Workers[0].Stdout, StringComparison.Ordinal);
        foreach (var file in new[] { ".run", "pipeline.tl.yaml", "source.txt", "labels.txt", "plan.json", "metrics.csv", "summary.json", "model.safetensors", "test-predictions.csv" })
        {
            Assert.True(File.Exists(Path.Combine(run, file)), $"the run lacks {file}");
        }
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        double programAccuracy = summary.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble();
        Assert.Equal(2, summary.RootElement.GetProperty("epochs").GetInt32());
        Assert.Equal("all phases completed", summary.RootElement.GetProperty("stop_reason").GetString());

        var evaluate = await CliProcess.RunAsync(null, "evaluate", run);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.Contains("split: test (1000 images)", evaluate.Stdout, StringComparison.Ordinal);
        Assert.Contains($"accuracy: {programAccuracy.ToString("F4", CultureInfo.InvariantCulture)}", evaluate.Stdout, StringComparison.Ordinal);

        string images = Path.Combine(fixture.Folder, "images");
        Directory.CreateDirectory(images);
        foreach (var (image, i) in TestFiles.ReadIdx(TestFiles.Sample("test-images-idx3-ubyte.gz"), 5).Select((x, i) => (x, i)))
        {
            TestFiles.WritePng(Path.Combine(images, $"{i}.png"), image.Pixels, image.Width, image.Height, 1);
        }
        var predict = await CliProcess.RunAsync(null, "predict", run, images, "--top", "1");
        Assert.True(predict.ExitCode == 0, predict.ToString());
        Assert.Equal(5, predict.Stdout.Split('\n').Count(l => l.Contains(".png", StringComparison.Ordinal)));

        string exported = Path.Combine(fixture.Folder, "exported");
        var export = await CliProcess.RunAsync(null, "export", run, "-o", exported);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(File.Exists(Path.Combine(exported, "model.safetensors")), export.ToString());

        // TLDsl's own forward pass over the test split, from the run's best checkpoint, against the program's.
        var rows = File.ReadAllLines(Path.Combine(run, "test-predictions.csv")).Skip(1)
            .Select(l => l.Split(',')).ToArray();
        using var model = RunModel.Open(run);
        var data = PipelineInterpreter.DataPlan(model.Pipeline, model.Labels);
        Assert.Equal(rows.Length, data.TestIndices.Length);
        double worst = 0;
        int agree = 0;
        using (no_grad())
        {
            for (int start = 0; start < rows.Length; start += 100)
            {
                using var scope = NewDisposeScope();
                int[] indices = data.TestIndices.Skip(start).Take(100).ToArray();
                var logits = model.Model.call(model.Preprocessor.Batch(data.Test!, indices, train: false, seed: 7, epoch: 0)).contiguous();
                float[] flat = logits.data<float>().ToArray();
                long[] predicted = logits.argmax(1).data<long>().ToArray();
                for (int i = 0; i < indices.Length; i++)
                {
                    var row = rows[start + i];
                    Assert.Equal(indices[i], int.Parse(row[0], CultureInfo.InvariantCulture));
                    agree += predicted[i] == long.Parse(row[2], CultureInfo.InvariantCulture) ? 1 : 0;
                    for (int c = 0; c < 10; c++)
                    {
                        worst = Math.Max(worst, Math.Abs(flat[(i * 10) + c] - double.Parse(row[3 + c], CultureInfo.InvariantCulture)));
                    }
                }
            }
        }
        Assert.True(worst <= 1e-4, $"TLDsl's logits differ from the program's by up to {worst}");
        Assert.Equal(rows.Length, agree);
    }

    [Fact]
    public async Task A_damaged_checkpoint_in_the_programs_run_folder_gets_TLDsls_usual_error()
    {
        TorchrunHarness.AssertAllSucceeded(fixture.Workers);
        string copy = Path.Combine(fixture.Folder, "damaged");
        CopyFolder(fixture.Run, copy);
        string best = Path.Combine(copy, "checkpoints", File.ReadAllText(Path.Combine(copy, "checkpoints", "best")).Trim());
        string weights = Path.Combine(best, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes.AsSpan(0, bytes.Length - 100).ToArray());

        var evaluate = await CliProcess.RunAsync(null, "evaluate", copy);
        Assert.True(evaluate.ExitCode == 1, evaluate.ToString());
        Assert.StartsWith($"error: {weights}: ", evaluate.Stderr, StringComparison.Ordinal);
        Assert.Single(evaluate.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", evaluate.Stderr, StringComparison.Ordinal);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }
}
