using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>When this process reached <c>Main</c> and finished loading the native library (set by Program).</summary>
internal static class StartupClock
{
    public static DateTime MainAt { get; set; }

    public static DateTime NativeAt { get; set; }

    /// <summary>Milliseconds from the process start (the kernel's record) to <paramref name="at"/>.</summary>
    public static double SinceStart(DateTime at) => (at - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
}

/// <summary>
/// Time to first batch: process start → model ready for the quickstart pipeline (ImageNet ResNet-18 from ResNet18.onnx),
/// in fresh processes, cold (empty weights cache) and warm (cache filled by the cold run) alternating, medians over
/// rounds; and one process per round that splits the cold path into its parts (ONNX parse, mapping, hashing, cache
/// write/read, model build, weight copy).
/// </summary>
internal static class StartupBenchmark
{
    private const string ChildFlag = "--child";
    private const string SplitFlag = "--split";

    public static int Run(string[] args)
    {
        string pipeline = Path.GetFullPath(BenchPipelines.Option(args, "--pipeline")
            ?? Path.Combine(BenchPipelines.RepoRoot, "pipelines", "quickstart.tl.yaml"));
        if (args.Contains(ChildFlag))
        {
            return args.Contains(SplitFlag) ? Split(pipeline) : Child(pipeline);
        }

        int rounds = BenchPipelines.Option(args, "--rounds", 5);
        string cache = Path.Combine(Path.GetTempPath(), $"tldsl-startup-{Environment.ProcessId}");
        var cold = new List<Dictionary<string, double>>();
        var warm = new List<Dictionary<string, double>>();
        var split = new List<Dictionary<string, double>>();
        try
        {
            Console.WriteLine($"startup: {pipeline}, {rounds} rounds (cold, warm, split per round), load average {File.ReadAllText("/proc/loadavg").Trim()}");
            for (int round = 0; round < rounds; round++)
            {
                if (Directory.Exists(cache))
                {
                    Directory.Delete(cache, recursive: true);
                }
                cold.Add(Spawn(pipeline, cache, split: false));
                warm.Add(Spawn(pipeline, cache, split: false));
                split.Add(Spawn(pipeline, Path.Combine(cache, "split"), split: true));
                Console.WriteLine($"  round {round + 1}: cold ready {cold[^1]["ready"]:F0} ms, warm ready {warm[^1]["ready"]:F0} ms");
            }
        }
        finally
        {
            if (Directory.Exists(cache))
            {
                Directory.Delete(cache, recursive: true);
            }
        }

        Console.WriteLine("  milliseconds since process start (median of rounds):");
        foreach (var key in new[] { "main", "native", "pipeline", "ready" })
        {
            Console.WriteLine($"    {key,-9} cold {Median(cold, key),7:F0}   warm {Median(warm, key),7:F0}");
        }
        Console.WriteLine("  parts, one process, in this order (median ms):");
        foreach (var key in split[0].Keys)
        {
            Console.WriteLine($"    {key,-26} {Median(split, key),7:F0}");
        }
        ResultLine.Print("startup", ("rounds", rounds), ("cold_ready_ms", Median(cold, "ready")), ("warm_ready_ms", Median(warm, "ready")),
            ("native_ms", Median(cold, "native")), ("main_ms", Median(cold, "main")));
        return 0;
    }

    private static double Median(List<Dictionary<string, double>> runs, string key)
    {
        var values = runs.Select(r => r[key]).Order().ToList();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }

    private static Dictionary<string, double> Spawn(string pipeline, string cache, bool split)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(StartupBenchmark).Assembly.Location);
        foreach (var arg in new[] { "startup", ChildFlag, "--pipeline", pipeline })
        {
            start.ArgumentList.Add(arg);
        }
        if (split)
        {
            start.ArgumentList.Add(SplitFlag);
        }
        start.Environment[MappedWeightsCache.EnvironmentVariable] = cache;
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string line = output.Split('\n').LastOrDefault(l => l.StartsWith("TIMES ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"the child printed no TIMES line (exit {process.ExitCode}):\n{output}");
        return line["TIMES ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
    }

    private static void Print(IEnumerable<(string Key, double Ms)> times) =>
        Console.WriteLine("TIMES " + string.Join(" ", times.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}={t.Ms:F1}"))));

    /// <summary>The real path of <c>tldsl train</c> up to the model: read the pipeline, seed, build the model.</summary>
    private static int Child(string pipelinePath)
    {
        var file = PipelineFile.Load(pipelinePath);
        var labels = PipelineInterpreter.Labels(file);
        var plan = PipelineInterpreter.ModelPlan(file, labels);
        double pipeline = StartupClock.SinceStart(DateTime.Now);
        manual_seed(42);
        using var model = TransferModelBuilder.Build(plan, file.Spec.Name);
        double ready = StartupClock.SinceStart(DateTime.Now);
        Print([("main", StartupClock.SinceStart(StartupClock.MainAt)), ("native", StartupClock.SinceStart(StartupClock.NativeAt)),
            ("pipeline", pipeline), ("ready", ready)]);
        return 0;
    }

    /// <summary>The parts of the cold path, each timed on its own, in the order a cold run does them.</summary>
    private static int Split(string pipelinePath)
    {
        var file = PipelineFile.Load(pipelinePath);
        var times = new List<(string, double)>();
        var watch = Stopwatch.StartNew();
        void Lap(string name)
        {
            times.Add((name, watch.Elapsed.TotalMilliseconds));
            watch.Restart();
        }

        string onnx = ImageNetResNet18Weights.Locate();
        using (var stream = File.OpenRead(onnx))
        {
            System.Security.Cryptography.SHA256.HashData(stream);
        }
        Lap("sha256_of_onnx");
        var model = OnnxModelFile.Read(onnx);
        Lap("onnx_parse");
        var mapping = ImageNetResNet18Weights.MapInitializers(model);
        Lap("graph_walk");
        var state = mapping.ToDictionary(p => p.Value, p => model.ReadInitializer(p.Key), StringComparer.Ordinal);
        Lap("initializers_to_tensors");
        foreach (var tensor in state.Values)
        {
            tensor.Dispose();
        }
        model = null;
        GC.Collect();
        watch.Restart();
        string folder = MappedWeightsCache.Folder()!;
        var written = ImageNetResNet18Weights.LoadStateDictCached(onnx, folder);
        Lap("cold_load_with_write");
        ReadBuffers.Release(written.State);
        watch.Restart();
        var cached = ImageNetResNet18Weights.LoadStateDictCached(onnx, folder);
        Lap("warm_load_from_cache");
        var architecture = ModelZoo.Get("resnet18_imagenet");
        var original = architecture.Create();
        Lap("architecture_create");
        StateDictLoader.Load(original, cached.State, "cache", allowMissing: key => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
        Lap("copy_into_model");
        ReadBuffers.Release(cached.State);
        Lap("release_buffers_gc");
        original.Dispose();
        // The rest of TransferModelBuilder.Build: a second base model, the head, freezing and the probe forward pass
        // that measures the feature shape (the process's first convolutions: oneDNN generates its kernels here).
        var plan = PipelineInterpreter.ModelPlan(file, PipelineInterpreter.Labels(file)) with { Weights = WeightsSource.None };
        Lap("pipeline_read");
        TransferModelBuilder.Build(plan).Dispose();
        Lap("build_no_weights_first");
        TransferModelBuilder.Build(plan).Dispose();
        Lap("build_no_weights_again");
        Print(times);
        return 0;
    }
}
