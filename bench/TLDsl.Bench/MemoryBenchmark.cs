using System;
using System.IO;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Bench;

/// <summary>RSS at the end of each epoch of one training path, to show that one dispose scope per batch and the
/// allocator's configuration keep native memory flat (issue #18: under 2% growth from epoch 2 to the last).
/// <c>--path</c>: <c>layer4</c> (default: layer4 + head train, no cache, the backbone runs every batch),
/// <c>frozen-cached</c> (frozen backbone, pooled features cached), <c>prefix-cached</c> (layer4 + head train on
/// layer3's cached output), <c>frozen-uncached</c> (frozen backbone run every batch), <c>full</c> (everything trains).</summary>
internal static class MemoryBenchmark
{
    public static int Run(string[] args)
    {
        int epochs = BenchPipelines.Option(args, "--epochs", 10);
        int size = BenchPipelines.Option(args, "--size", 64);
        int perClass = BenchPipelines.Option(args, "--per-class", 100);
        string path = BenchPipelines.Option(args, "--path") ?? "layer4";
        const string layer4 = "unfreeze: [layer4], lr: { layer4: 1e-4, head: 1e-3 }";
        (string phase, string freeze, bool cache) = path switch
        {
            "layer4" => (layer4, "[backbone]", false),
            "frozen-cached" => ("name: head", "[backbone]", true),
            "prefix-cached" => (layer4, "[backbone]", true),
            "frozen-uncached" => ("name: head", "[backbone]", false),
            "full" => ("lr: 1e-4", "[]", false),
            _ => throw new ArgumentException($"unknown --path {path} (layer4, frozen-cached, prefix-cached, frozen-uncached, full)"),
        };
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-memory").FullName;
        string pipeline = BenchPipelines.Write(scratch, "MemoryBench", BenchPipelines.DataFolder(args),
            $"    - {{ epochs: {epochs}, {phase} }}", freeze: freeze, size: size, extraData: $"  limit_per_class: {perClass}");
        var observer = new RssObserver();
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs"), CacheFeatures = cache }))
        {
            session.Train(observer);
        }
        Console.WriteLine($"RSS at the end of each epoch, path {path} ({size}x{size}, {perClass} images per class, feature cache {(cache ? "on" : "off")}):");
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
