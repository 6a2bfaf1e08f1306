using System;
using System.Diagnostics;
using System.IO;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Bench;

/// <summary>Test accuracy on Fashion-MNIST of: the frozen ImageNet ResNet-18 + new head; the same with layer4 unfrozen
/// in a second phase at a lower rate (gradual unfreezing); and a logistic regression on raw pixels (the honest baseline).</summary>
internal static class AccuracyBenchmark
{
    public static int Run(string[] args)
    {
        string data = BenchPipelines.DataFolder(args);
        int size = BenchPipelines.Option(args, "--size", 112);
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-accuracy").FullName;
        string frozen = BenchPipelines.Write(scratch, "Frozen", data, "    - { name: head, epochs: 15, schedule: one_cycle }", size: size);
        string gradual = BenchPipelines.Write(scratch, "Gradual", data, """
                - { name: head, epochs: 8, schedule: one_cycle }
                - { name: layer4, epochs: 6, unfreeze: [layer4], lr: { layer4: 1e-4, head: 5e-4 }, schedule: { cosine: { warmup_epochs: 1 } } }
            """, size: size);
        Console.WriteLine($"data: {data}, input {size}x{size}");
        Report("ImageNet ResNet-18 frozen + linear head", Train(frozen, scratch));
        Report("same, then layer4 unfrozen (lr 1e-4, head 5e-4)", Train(gradual, scratch));
        Report("logistic regression on raw pixels", LogisticRegression(data));
        Directory.Delete(scratch, recursive: true);
        return 0;
    }

    private static void Report(string what, (double Accuracy, double Seconds, int Train) r) =>
        Console.WriteLine($"  {what,-52} test accuracy {r.Accuracy:F4}   {r.Seconds,7:F1} s   ({r.Train} training images)");

    private static (double, double, int) Train(string pipeline, string scratch)
    {
        var watch = Stopwatch.StartNew();
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs") });
        var result = session.Train();
        return (result.Test?.Accuracy ?? double.NaN, watch.Elapsed.TotalSeconds, session.Data.TrainIndices.Length);
    }

    /// <summary>The pixel baseline on the same training split the pipelines use (90%, seed 1), tested on the whole test set.</summary>
    private static (double, double, int) LogisticRegression(string data)
    {
        var watch = Stopwatch.StartNew();
        string[] labels = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];
        var (trainImages, trainLabels, testImages, testLabels) = BenchPipelines.IdxFiles(data);
        var train = new IdxImageSource(trainImages, trainLabels, labels);
        var test = new IdxImageSource(testImages, testLabels, labels);
        var (trainIdx, _) = DataSplits.Split(train, DataSplits.All(train), 0.1, 1);
        double accuracy = PixelLogisticRegression.Accuracy(train, trainIdx, test, DataSplits.All(test));
        return (accuracy, watch.Elapsed.TotalSeconds, trainIdx.Length);
    }
}
