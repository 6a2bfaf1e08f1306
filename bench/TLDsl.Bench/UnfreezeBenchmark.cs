using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Bench;

/// <summary>The gradual-unfreezing case of the PyTorch comparison (issue #18): the ImageNet ResNet-18 at 112x112 on
/// 200 Fashion-MNIST images per class (10% validate), 3 epochs training the head alone (the backbone's pooled features
/// cached), then 3 epochs with layer4 trainable too (layer3's output cached, layer4 and the head run every batch),
/// AdamW 3e-3 then layer4 1e-4 / head 1e-3, constant rates, batch 64; test accuracy of the best epoch. Prints the wall
/// time, peak RSS, the RSS at each phase start (with the peak so far) and at the end of every epoch, and each phase's
/// RSS growth from its second epoch to its last.</summary>
internal static class UnfreezeBenchmark
{
    public static int Run(string[] args)
    {
        int threads = BenchPipelines.Option(args, "--threads", 2);
        int headEpochs = BenchPipelines.Option(args, "--head-epochs", 3);
        int layer4Epochs = BenchPipelines.Option(args, "--layer4-epochs", 3);
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-unfreeze").FullName;
        string pipeline = BenchPipelines.Write(scratch, "UnfreezeBench", BenchPipelines.DataFolder(args), new BenchPipeline
        {
            ExtraData = $"  limit_per_class: {BenchPipelines.Option(args, "--per-class", 200)}\n  limit_seed: 42",
            Phases = $"    - {{ name: head, epochs: {headEpochs} }}\n" +
                     $"    - {{ name: layer4, epochs: {layer4Epochs}, unfreeze: [layer4], lr: {{ \"layer4.*\": 1e-4, head: 1e-3 }} }}",
        });
        // Peak RSS per stage resets the kernel's high-water mark, so the run's peak is the highest stage's.
        var stages = new StagePeaks("process start: data and model");
        var observer = new RssObserver { Stages = stages };
        var watch = Stopwatch.StartNew();
        SessionResult result;
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs"), Threads = threads }))
        {
            stages.Mark("session built: trainer start");
            result = session.Train(observer);
            stages.Mark("session end");
        }
        stages.Mark("done");
        stages.Print();
        double peak = stages.OverallMiB;
        double seconds = watch.Elapsed.TotalSeconds;
        double accuracy = result.Test?.Accuracy ?? double.NaN;
        double headGrowth = Growth(observer, 0, headEpochs);
        double layer4Growth = Growth(observer, headEpochs, layer4Epochs);
        Console.WriteLine($"gradual unfreezing, {headEpochs} + {layer4Epochs} epochs, {threads} threads: {seconds:F1} s end to end, test accuracy {accuracy:F4}, " +
            $"peak RSS {peak:F1} MiB, RSS growth epoch 2 -> last: head phase {headGrowth:+0.00;-0.00}%, layer4 phase {layer4Growth:+0.00;-0.00}%");
        ResultLine.Print(BenchPipelines.Option(args, "--case") ?? "unfreeze", ("seconds", seconds), ("test_accuracy", accuracy), ("peak_rss_mib", peak),
            ("rss_growth_head_pct", headGrowth), ("rss_growth_layer4_pct", layer4Growth), ("threads", threads),
            ("rss_per_epoch_mib", string.Join(",", observer.Rss.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))));
        Directory.Delete(scratch, recursive: true);
        return 0;
    }

    /// <summary>RSS growth in percent from the second epoch of a phase to its last (NaN for a phase under 2 epochs).</summary>
    private static double Growth(RssObserver observer, int first, int epochs) =>
        epochs >= 2 && observer.Rss.Count >= first + epochs
            ? (observer.Rss[first + epochs - 1] - observer.Rss[first + 1]) / observer.Rss[first + 1] * 100
            : double.NaN;
}
