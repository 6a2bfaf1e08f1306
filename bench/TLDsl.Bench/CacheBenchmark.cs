using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Training;

namespace TLDsl.Bench;

/// <summary>A frozen-backbone fine-tune with and without the cached frozen features: time, ratio, weight difference.</summary>
internal static class CacheBenchmark
{
    public static int Run(string[] args)
    {
        int epochs = BenchPipelines.Option(args, "--epochs", 10);
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-cache").FullName;
        string pipeline = BenchPipelines.Write(scratch, "CacheBench", BenchPipelines.DataFolder(args), $"    - {{ epochs: {epochs} }}");
        var (cachedSeconds, cached) = Train(pipeline, scratch, cache: true);
        var (plainSeconds, plain) = Train(pipeline, scratch, cache: false);
        var a = Checkpoints.ReadWeights(cached.Training.LastCheckpoint!);
        var b = Checkpoints.ReadWeights(plain.Training.LastCheckpoint!);
        double diff = a.Keys.Max(k => (a[k].to_type(TorchSharp.torch.ScalarType.Float64) - b[k].to_type(TorchSharp.torch.ScalarType.Float64)).abs().max().item<double>());
        Console.WriteLine($"frozen-backbone fine-tune, {epochs} epochs, {cached.Training.Epochs.Count} run, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  cached features:   {cachedSeconds,8:F1} s   test accuracy {cached.Test?.Accuracy:F4}");
        Console.WriteLine($"  uncached (plain):  {plainSeconds,8:F1} s   test accuracy {plain.Test?.Accuracy:F4}");
        Console.WriteLine($"  speed-up: {plainSeconds / cachedSeconds:F2}x   max |weight difference|: {diff:G3}");
        Directory.Delete(scratch, recursive: true);
        return 0;
    }

    private static (double, SessionResult) Train(string pipeline, string scratch, bool cache)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs"), CacheFeatures = cache });
        var result = session.Train();
        return (watch.Elapsed.TotalSeconds, result);
    }
}
