using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary>Multinomial logistic regression on standardised 28x28 pixels, full batch, AdamW, on the same training
    /// split the pipelines use (90%, seed 1).</summary>
    private static (double, double, int) LogisticRegression(string data)
    {
        var watch = Stopwatch.StartNew();
        string[] labels = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];
        string F(string a, string b) => File.Exists(Path.Combine(data, a)) ? Path.Combine(data, a) : Path.Combine(data, b);
        var train = new IdxImageSource(F("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"), F("train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"), labels);
        var test = new IdxImageSource(F("test-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"), F("test-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"), labels);
        var (trainIdx, _) = DataSplits.Split(train, DataSplits.All(train), 0.1, 1);
        using var scope = NewDisposeScope();
        var (x, y) = Pixels(train, trainIdx);
        var (tx, ty) = Pixels(test, DataSplits.All(test));
        var mean = x.mean([0]);
        var std = x.std(0) + 1e-3;
        x = (x - mean) / std;
        tx = (tx - mean) / std;
        manual_seed(0);
        var linear = nn.Linear(x.shape[1], labels.Length);
        var optimizer = optim.AdamW(linear.parameters(), 0.01, weight_decay: 1e-3);
        for (int i = 0; i < 300; i++)
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(linear.call(x), y).backward();
            optimizer.step();
        }
        using var noGrad = no_grad();
        double accuracy = linear.call(tx).argmax(1).eq(ty).to_type(ScalarType.Float32).mean().item<float>();
        return (accuracy, watch.Elapsed.TotalSeconds, trainIdx.Length);
    }

    private static (Tensor X, Tensor Y) Pixels(IdxImageSource source, int[] indices)
    {
        var rows = indices.Select(i => source.Decode(i).Pixels).ToArray();
        var x = tensor(rows.SelectMany(r => r).ToArray(), [indices.Length, rows[0].Length]);
        var y = tensor(indices.Select(i => (long)source.LabelOf(i)).ToArray());
        return (x, y);
    }
}
