using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Pipelines;
using TorchSharp;

namespace TLDsl.Bench;

/// <summary>Case 2 of the PyTorch comparison: the quickstart's frozen-backbone fine-tune (offline ImageNet ResNet-18,
/// 112x112, 200 images per class of which 10% validate, dropout + linear head, AdamW, one-cycle, batch 64) for a fixed
/// number of epochs, end to end: model and weights, data, cached frozen features, training, validation every epoch,
/// test accuracy of the best epoch. Also the RSS at the end of every epoch (case 3). <c>--data-seed</c> (the pipeline's
/// <c>data.limit_seed</c>, default 42) draws the images; <c>--seed</c> (<c>train.seed</c>, default: the same) seeds the
/// head's initialisation, dropout and shuffling only, so that runs over several seeds train on the same images as the
/// PyTorch side.</summary>
internal static class FrozenFineTuneBenchmark
{
    public static int Run(string[] args)
    {
        int threads = BenchPipelines.Option(args, "--threads", 2);
        int epochs = BenchPipelines.Option(args, "--epochs", 10);
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-frozen").FullName;
        string pipeline = Write(scratch, args, epochs);
        var observer = new RssObserver();
        var watch = Stopwatch.StartNew();
        SessionResult result;
        var overrides = new TrainingOverrides
        {
            RunsRoot = Path.Combine(scratch, "runs"),
            Threads = threads,
            // --engine auto|ort|torch: what computes the cached features (auto: ONNX Runtime).
            Engine = InferenceEngines.TryParse(BenchPipelines.Option(args, "--engine") ?? "auto")
                ?? throw new ArgumentException($"--engine takes one of {InferenceEngines.Allowed}"),
        };
        using (var session = TrainingSession.Start(pipeline, overrides))
        {
            result = session.Train(observer);
        }
        double seconds = watch.Elapsed.TotalSeconds;
        double accuracy = result.Test?.Accuracy ?? double.NaN;
        Console.WriteLine($"frozen-backbone fine-tune, {epochs} epochs, {threads} threads, feature engine {InferenceEngines.Name(InferenceEngines.Resolve(overrides.Engine))}: {seconds:F1} s end to end, test accuracy {accuracy:F4}, " +
            $"peak RSS {Rss.PeakMiB:F1} MiB" + (observer.GrowthPercent is double g ? $", RSS growth epoch 2 -> {epochs}: {g:+0.00;-0.00}%" : ""));
        ResultLine.Print(BenchPipelines.Option(args, "--case") ?? "frozen", ("seconds", seconds), ("test_accuracy", accuracy), ("peak_rss_mib", Rss.PeakMiB),
            ("rss_growth_pct", observer.GrowthPercent ?? double.NaN), ("epochs", epochs), ("threads", threads),
            ("seed", Seed(args)), ("data_seed", DataSeed(args)), ("engine", InferenceEngines.Name(InferenceEngines.Resolve(overrides.Engine))),
            ("rss_per_epoch_mib", string.Join(",", observer.Rss.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))));
        Directory.Delete(scratch, recursive: true);
        return 0;
    }

    /// <summary><c>export-backbone --out folder</c>: what the PyTorch program needs to train on equal terms, written
    /// without training: the backbone's ImageNet weights as <c>backbone.npz</c> (torchvision key names) and the
    /// pipeline's train/valid/test indices (<c>indices.txt</c>: one line each, space-separated), and the backbone features
    /// of the first 8 test images (<c>probe.npz</c>).</summary>
    public static int Export(string[] args)
    {
        string output = Path.GetFullPath(BenchPipelines.Option(args, "--out") ?? throw new ArgumentException("export-backbone needs --out <folder>"));
        Directory.CreateDirectory(output);
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-export").FullName;
        using (var session = TrainingSession.Start(Write(scratch, args, 1), new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs") }))
        {
            var backbone = session.Model.state_dict()
                .Where(kv => !kv.Key.StartsWith("head.", StringComparison.Ordinal))
                .Select(kv => (kv.Key, kv.Value));
            int written = Npy.WriteNpz(Path.Combine(output, "backbone.npz"), backbone);
            var data = session.Data;
            // The backbone features of the first test images, so that the PyTorch program can check that its
            // preprocessing, architecture and weights give what TLDsl's give.
            int[] probe = data.TestIndices[..Math.Min(8, data.TestIndices.Length)];
            session.Model.eval();
            using (torch.no_grad())
            using (var scope = torch.NewDisposeScope())
            {
                var features = session.Model.ForwardFeatures(data.Preprocessor.Batch(data.Test!, probe, train: false, session.Plan.Seed, 0));
                Npy.WriteNpz(Path.Combine(output, "probe.npz"), [("features", features)]);
            }
            File.WriteAllLines(Path.Combine(output, "indices.txt"),
                [string.Join(' ', data.TrainIndices), string.Join(' ', data.ValidIndices), string.Join(' ', data.TestIndices)]);
            Console.WriteLine($"wrote {written} backbone tensors and {data.TrainIndices.Length}/{data.ValidIndices.Length}/{data.TestIndices.Length} train/valid/test indices to {output}");
        }
        Directory.Delete(scratch, recursive: true);
        return 0;
    }

    private static string Write(string scratch, string[] args, int epochs) =>
        BenchPipelines.Write(scratch, "FrozenBench", BenchPipelines.DataFolder(args), new BenchPipeline
        {
            ExtraData = $"  limit_per_class: {BenchPipelines.Option(args, "--per-class", 200)}\n  limit_seed: {DataSeed(args)}",
            Seed = Seed(args),
            Phases = $"    - {{ name: head, epochs: {epochs}, schedule: one_cycle }}",
        });

    private static int DataSeed(string[] args) => BenchPipelines.Option(args, "--data-seed", 42);

    private static int Seed(string[] args) => BenchPipelines.Option(args, "--seed", DataSeed(args));
}
