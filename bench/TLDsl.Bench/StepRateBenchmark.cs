using System;
using System.Diagnostics;
using System.IO;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Bench;

/// <summary>Case 1 of the PyTorch comparison: training steps per second of a full fine-tune (every parameter trains) of
/// torchvision's ResNet-18 architecture, random init, through TLDsl's own trainer: Fashion-MNIST batches decoded,
/// resized and normalised each step, AdamW, label-smoothed cross-entropy. Warm-up steps first, then timed steps.
/// <c>--trace</c> prints the RSS after every step; <c>--case</c> names the RESULT line (default <c>step_SIZE</c>).</summary>
internal static class StepRateBenchmark
{
    /// <summary>torchvision's ImageNet statistics, written out: <c>resnet18</c> has no named weights to take them from.</summary>
    public const string ImageNetNormalize = "{ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }";

    public static int Run(string[] args)
    {
        int size = BenchPipelines.Option(args, "--size", 112);
        int batch = BenchPipelines.Option(args, "--batch", 32);
        int warmup = Math.Max(1, BenchPipelines.Option(args, "--warmup", 3));
        int steps = BenchPipelines.Option(args, "--steps", 10);
        int threads = BenchPipelines.Option(args, "--threads", 2);
        bool trace = Array.IndexOf(args, "--trace") >= 0;
        if (trace)
        {
            Console.WriteLine($"  start: RSS {Rss.CurrentMiB:F0} MiB, peak {Rss.PeakMiB:F0} MiB");
        }
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-steps").FullName;
        string pipeline = WritePipeline(scratch, "StepRateBench", args, size, batch);
        var timer = new StepTimer(warmup, steps, trace);
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs"), Threads = threads }))
        {
            try
            {
                session.Train(timer);
                throw new InvalidOperationException($"the epoch ended before {warmup + steps} steps: use fewer steps or more data");
            }
            catch (StepTimer.EnoughSteps)
            {
                // The timed steps are done; the rest of the epoch is not needed.
            }
        }
        double stepsPerSecond = steps / timer.Elapsed.TotalSeconds;
        Console.WriteLine($"full fine-tune of resnet18 (random init), {size}x{size}, batch {batch}, {threads} threads: " +
            $"{stepsPerSecond:F3} steps/s, {stepsPerSecond * batch:F1} images/s ({steps} timed steps after {warmup} warm-up)");
        ResultLine.Print(BenchPipelines.Option(args, "--case") ?? $"step_{size}", ("steps_per_s", stepsPerSecond), ("images_per_s", stepsPerSecond * batch),
            ("peak_rss_mib", Rss.PeakMiB), ("threads", threads), ("batch", batch), ("steps", steps));
        Directory.Delete(scratch, recursive: true);
        return 0;
    }

    /// <summary>The case-1 pipeline: torchvision's resnet18 (random init, classifier dropped) with a new linear head,
    /// nothing frozen, one epoch over the IDX folder of <c>--data</c>.</summary>
    internal static string WritePipeline(string scratch, string name, string[] args, int size, int batch) =>
        BenchPipelines.Write(scratch, name, BenchPipelines.DataFolder(args), new BenchPipeline
        {
            BaseModel = "{ model: resnet18, drop: [classifier] }",
            Normalize = ImageNetNormalize,
            Head = "[linear: labels]",
            Freeze = "[]",
            Size = size,
            Batch = batch,
            Phases = "    - { epochs: 1 }",
        });

    /// <summary>Starts a clock after the warm-up steps and stops the training (by throwing) after the timed ones.</summary>
    private sealed class StepTimer(int warmup, int steps, bool trace) : ITrainingObserver
    {
        private readonly Stopwatch _watch = new();
        private int _done;

        public TimeSpan Elapsed => _watch.Elapsed;

        public void PhaseStarted(string phase, int phaseIndex, int phaseCount, int epochs, bool cachedFeatures) { }

        public void FeatureCaching(int done, int total) { }

        public void BatchCompleted(int epoch, int batch, int batchesPerEpoch, double loss, double learningRate)
        {
            _done++;
            if (trace)
            {
                // Managed heap beside the process figures: what .NET holds vs what libtorch and the runtime hold.
                Console.WriteLine($"  step {_done}: RSS {Rss.CurrentMiB:F0} MiB, peak {Rss.PeakMiB:F0} MiB, GC heap {GC.GetTotalMemory(false) / 1048576.0:F0} MiB, {_watch.Elapsed.TotalSeconds:F2} s");
            }
            if (_done == warmup)
            {
                _watch.Start();
            }
            else if (_done == warmup + steps)
            {
                _watch.Stop();
                throw new EnoughSteps();
            }
        }

        public void EpochCompleted(EpochRecord record) { }

        public void Message(string text) { }

        public sealed class EnoughSteps : Exception;
    }
}
