using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>
/// ONNX Runtime against TorchSharp on the frozen-feature forward: resnet18_imagenet with its ImageNet weights, the whole
/// backbone (what a frozen backbone's cache computes), the same random inputs, one process, the engines alternating
/// (ORT, torch, ORT, ...) so that a load change hits both; per case the median rate of each and their ratio, and the
/// largest feature difference relative to the largest value. Cases: 112² and 224², batch 1 and 32.
/// </summary>
internal static class EngineBenchmark
{
    public static int Run(string[] args)
    {
        int threads = ResultLine.Threads(args);
        int rounds = BenchPipelines.Option(args, "--rounds", 7);
        int images = BenchPipelines.Option(args, "--images", 32);
        string sizes = BenchPipelines.Option(args, "--sizes") ?? "112,224";
        string batches = BenchPipelines.Option(args, "--batches") ?? "1,32";
        Console.WriteLine($"engines: resnet18_imagenet backbone (imagenet weights), {threads} threads, {rounds} rounds of {images} images per engine and case, alternating");
        foreach (int size in sizes.Split(',').Select(int.Parse))
        {
            using var model = TransferModelBuilder.Build(new TransferModelPlan(ModelZoo.Get("resnet18_imagenet"), new NamedWeightsSource("imagenet"),
                [], null, [new HeadLayer(HeadLayerKind.Linear, 10)], [], (size, size)));
            model.eval();
            int steps = model.Steps.Count;
            manual_seed(size);
            using var inputs = randn(images, 3, size, size);
            var export = Stopwatch.StartNew();
            using var ort = OrtForward.Create(model, steps, [3, size, size], threads);
            double exportSeconds = export.Elapsed.TotalSeconds;
            foreach (int batch in batches.Split(',').Select(int.Parse))
            {
                Case(model, ort, inputs, steps, size, batch, rounds, threads, exportSeconds);
            }
        }
        return 0;
    }

    private static void Case(TransferModel model, OrtForward ort, Tensor inputs, int steps, int size, int batch, int rounds, int threads, double exportSeconds)
    {
        long n = inputs.shape[0];
        // Every engine sees the same batches: images [i, i + batch).
        Tensor Torch(Tensor x) => model.RunSteps(x, 0, steps);
        double Pass(Func<Tensor, Tensor> engine)
        {
            var watch = Stopwatch.StartNew();
            for (long i = 0; i < n; i += batch)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                engine(inputs[TensorIndex.Slice(i, Math.Min(i + batch, n))]);
            }
            return n / watch.Elapsed.TotalSeconds;
        }

        // Warm-up: one pass each (ORT's first run plans its memory; libtorch's first picks kernels).
        Pass(ort.Run);
        Pass(Torch);
        var ortRates = new List<double>();
        var torchRates = new List<double>();
        var ratios = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double o = Pass(ort.Run);
            double t = Pass(Torch);
            ortRates.Add(o);
            torchRates.Add(t);
            ratios.Add(o / t);
        }

        double relative;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var x = inputs[TensorIndex.Slice(0, Math.Min(batch, n))];
            var expected = Torch(x);
            relative = (ort.Run(x) - expected).abs().max().item<float>() / expected.abs().max().item<float>();
        }

        double ortMedian = Median(ortRates), torchMedian = Median(torchRates), ratio = Median(ratios);
        Console.WriteLine($"  {size}x{size} batch {batch,2}: ort {ortMedian,6:F1} img/s (min {ortRates.Min():F1}, max {ortRates.Max():F1}); " +
            $"torch {torchMedian,6:F1} img/s (min {torchRates.Min():F1}, max {torchRates.Max():F1}); ort/torch {ratio:F2}x (median of per-round ratios); " +
            $"largest difference {relative:G3} of the largest value; export {exportSeconds:F2} s");
        ResultLine.Print("engines", ("size", size), ("batch", batch), ("ort_images_per_s", ortMedian), ("torch_images_per_s", torchMedian),
            ("ratio", ratio), ("max_rel_diff", relative), ("export_s", exportSeconds), ("rounds", rounds), ("threads", threads));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
