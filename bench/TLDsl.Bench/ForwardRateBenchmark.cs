using System;
using System.Diagnostics;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>Case 4 of the PyTorch comparison: the machine's practical float32 peak (a large square matmul) and the
/// ResNet-18 forward rate in GFLOP/s (inference, batch 32, 224x224) as a share of it.</summary>
internal static class ForwardRateBenchmark
{
    public static int Run(string[] args)
    {
        int threads = ResultLine.Threads(args);
        int n = BenchPipelines.Option(args, "--gemm", 2048);
        int gemmReps = BenchPipelines.Option(args, "--gemm-reps", 5);
        int size = BenchPipelines.Option(args, "--size", 224);
        int batch = BenchPipelines.Option(args, "--batch", 32);
        int reps = BenchPipelines.Option(args, "--reps", 3);
        manual_seed(0);
        double gemm;
        using (var scope = NewDisposeScope())
        {
            var a = randn(n, n);
            var b = randn(n, n);
            gemm = Rate(() => matmul(a, b).Dispose(), 1, gemmReps) * 2.0 * n * n * n / 1e9;
        }
        using var model = TransferModelBuilder.Build(new TransferModelPlan(ModelZoo.Get("resnet18"), new NoWeights(),
            ["fc"], null, [new HeadLayer(HeadLayerKind.Linear, 1000)], [], (size, size)));
        model.eval();
        double imagesPerSecond;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var x = randn(batch, 3, size, size);
            imagesPerSecond = Rate(() => model.call(x).Dispose(), 1, reps) * batch;
        }
        double flops = ResNetFlops.PerImage([2, 2, 2, 2], size, 1000);
        double forward = imagesPerSecond * flops / 1e9;
        Console.WriteLine($"sgemm {n}x{n}: {gemm:F1} GFLOP/s; resnet18 forward {size}x{size} batch {batch}: {imagesPerSecond:F1} images/s x " +
            $"{flops / 1e9:F3} GFLOP/image = {forward:F1} GFLOP/s = {forward / gemm * 100:F1}% of the sgemm rate ({threads} threads)");
        ResultLine.Print("forward", ("sgemm_gflops", gemm), ("forward_images_per_s", imagesPerSecond), ("forward_gflops", forward),
            ("pct_of_sgemm", forward / gemm * 100), ("gflop_per_image", flops / 1e9), ("peak_rss_mib", Rss.PeakMiB), ("threads", threads));
        return 0;
    }

    /// <summary>Calls per second of <paramref name="action"/> over <paramref name="reps"/> timed calls after warm-up ones.</summary>
    private static double Rate(Action action, int warmup, int reps)
    {
        for (int i = 0; i < warmup; i++)
        {
            action();
        }
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
        {
            action();
        }
        return reps / watch.Elapsed.TotalSeconds;
    }
}
