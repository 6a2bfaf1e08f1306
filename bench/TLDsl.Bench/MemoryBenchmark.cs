using System;
using System.IO;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Bench;

/// <summary>RSS at the end of each of 10 epochs of a fine-tune whose backbone runs every batch (layer4 trains), to show
/// that one dispose scope per batch keeps native memory flat.</summary>
internal static class MemoryBenchmark
{
    public static int Run(string[] args)
    {
        int epochs = BenchPipelines.Option(args, "--epochs", 10);
        int size = BenchPipelines.Option(args, "--size", 64);
        int perClass = BenchPipelines.Option(args, "--per-class", 100);
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-memory").FullName;
        string pipeline = BenchPipelines.Write(scratch, "MemoryBench", BenchPipelines.DataFolder(args),
            $"    - {{ epochs: {epochs}, unfreeze: [layer4], lr: {{ layer4: 1e-4, head: 1e-3 }} }}", size: size,
            extraData: $"  limit_per_class: {perClass}");
        var observer = new RssObserver();
        // No feature cache: every batch runs the whole backbone, the case where leaked native tensors would show.
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs"), CacheFeatures = false }))
        {
            session.Train(observer);
        }
        Console.WriteLine($"RSS at the end of each epoch ({size}x{size}, {perClass} images per class, layer4 + head training, backbone forward every batch):");
        for (int i = 0; i < observer.Rss.Count; i++)
        {
            Console.WriteLine($"  epoch {i + 1,2}: {observer.Rss[i],8:F1} MiB");
        }
        if (observer.Rss.Count >= 2)
        {
            double growth = (observer.Rss[^1] - observer.Rss[1]) / observer.Rss[1] * 100;
            Console.WriteLine($"  growth epoch 2 -> {observer.Rss.Count}: {growth:+0.00;-0.00}%   peak {Rss.PeakMiB:F1} MiB");
        }
        Directory.Delete(scratch, recursive: true);
        return 0;
    }
}
