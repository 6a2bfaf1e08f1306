using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>Where the time of a case-1 training step goes: the same pipeline, model, batches and optimizer as
/// <see cref="StepRateBenchmark"/> (TLDsl's preprocessor, transfer model and per-parameter AdamW), each part of the
/// trainer's step timed on its own: batch (decode, resize, normalise), forward with the loss, backward, optimizer step
/// with zero_grad. bench/pytorch/step_profile.py times the same parts of the PyTorch loop.</summary>
internal static class StepProfileBenchmark
{
    private static readonly string[] Parts = ["batch", "forward", "backward", "optimizer"];

    public static int Run(string[] args)
    {
        int size = BenchPipelines.Option(args, "--size", 112);
        int batch = BenchPipelines.Option(args, "--batch", 32);
        int warmup = Math.Max(1, BenchPipelines.Option(args, "--warmup", 2));
        int steps = BenchPipelines.Option(args, "--steps", 5);
        int threads = ResultLine.Threads(args);
        string scratch = Directory.CreateTempSubdirectory("tldsl-bench-profile").FullName;
        string pipeline = StepRateBenchmark.WritePipeline(scratch, "StepProfileBench", args, size, batch);
        double[] seconds = new double[Parts.Length];
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = Path.Combine(scratch, "runs"), Threads = threads }))
        {
            var model = session.Model;
            var data = session.Data;
            using var optimizer = new RunOptimizer(model.named_parameters(), session.Plan.Optimizer);
            double[] rates = Enumerable.Repeat(session.Plan.Optimizer.LearningRate, optimizer.Names.Count).ToArray();
            model.train();
            var watch = new Stopwatch();
            for (int step = 0; step < warmup + steps; step++)
            {
                int[] indices = data.TrainIndices.AsSpan(step * batch, batch).ToArray();
                double[] part = new double[Parts.Length];
                using (var scope = NewDisposeScope())
                {
                    watch.Restart();
                    var x = data.Preprocessor.Batch(data.Train, indices, train: true, session.Plan.Seed, 0);
                    var y = ImagePreprocessor.Labels(data.Train, indices);
                    part[0] = Lap(watch);
                    var logits = model.call(x);
                    var total = nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.None, label_smoothing: session.Plan.LabelSmoothing).sum();
                    _ = total.item<float>();
                    part[1] = Lap(watch);
                    (total / indices.Length).backward();
                    part[2] = Lap(watch);
                    _ = logits.argmax(1).eq(y).sum().item<long>();
                }
                watch.Restart();
                optimizer.SetRates(rates, 1);
                optimizer.Optimizer.step();
                optimizer.Optimizer.zero_grad();
                part[3] = Lap(watch);
                if (step >= warmup)
                {
                    for (int i = 0; i < Parts.Length; i++)
                    {
                        seconds[i] += part[i] / steps;
                    }
                }
            }
        }
        Directory.Delete(scratch, recursive: true);
        Console.WriteLine($"step parts of a full fine-tune of resnet18, {size}x{size}, batch {batch}, {threads} threads (mean of {steps} steps after {warmup}): " +
            string.Join(", ", Parts.Select((p, i) => $"{p} {seconds[i]:F3} s")) + $"; step {seconds.Sum():F3} s");
        ResultLine.Print($"profile_{size}", Parts.Select((p, i) => ($"{p}_s", (object)seconds[i]))
            .Append(("step_s", seconds.Sum())).Append(("threads", threads)).Append(("steps", steps)).ToArray());
        return 0;
    }

    private static double Lap(Stopwatch watch)
    {
        double s = watch.Elapsed.TotalSeconds;
        watch.Restart();
        return s;
    }
}
