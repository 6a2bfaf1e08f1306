using System;
using System.Diagnostics;
using System.Linq;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>Single libtorch kernels of a ResNet-18 training step, timed without TLDsl around them: the 3x3 convolution
/// and the training-mode BatchNorm of layer1 (batch 32 at 224x224: 32x64x56x56), forward and forward+backward, and the
/// 7x7 stride-2 stem convolution. bench/pytorch/kernels.py times the same calls, so a gap here is the library's
/// (TorchSharp's libtorch against Debian's PyTorch), not the trainer's.</summary>
internal static class KernelBenchmark
{
    public static int Run(string[] args)
    {
        int threads = ResultLine.Threads(args);
        int reps = BenchPipelines.Option(args, "--reps", 10);
        manual_seed(0);
        using var scope = NewDisposeScope();
        var x = randn(32, 64, 56, 56).requires_grad_(true);
        var w = randn(64, 64, 3, 3).requires_grad_(true);
        var gamma = ones(64).requires_grad_(true);
        var beta = zeros(64).requires_grad_(true);
        var mean = zeros(64);
        var variance = ones(64);
        var stem = randn(32, 3, 224, 224);
        var stemWeight = randn(64, 3, 7, 7).requires_grad_(true);
        (string Key, Action Run)[] kernels =
        [
            ("conv3x3_fwd_ms", () => nn.functional.conv2d(x, w, padding: [1, 1])),
            ("conv3x3_fwd_bwd_ms", () => nn.functional.conv2d(x, w, padding: [1, 1]).sum().backward()),
            ("bn_train_fwd_ms", () => nn.functional.batch_norm(x, mean, variance, gamma, beta, training: true)),
            ("bn_train_fwd_bwd_ms", () => nn.functional.batch_norm(x, mean, variance, gamma, beta, training: true).sum().backward()),
            ("stem7x7_fwd_ms", () => nn.functional.conv2d(stem, stemWeight, strides: [2, 2], padding: [3, 3])),
        ];
        var results = kernels.Select(k => (k.Key, (object)Milliseconds(k.Run, reps))).ToArray();
        Console.WriteLine($"kernels, {threads} threads, mean of {reps}: " + string.Join(", ", results.Select(r => $"{r.Key} {r.Item2:F1}")));
        ResultLine.Print("kernels", [.. results, ("threads", threads)]);
        return 0;
    }

    /// <summary>Mean milliseconds of <paramref name="run"/> after two untimed calls; each call's tensors freed at once.</summary>
    private static double Milliseconds(Action run, int reps)
    {
        var watch = new Stopwatch();
        for (int i = -2; i < reps; i++)
        {
            using var scope = NewDisposeScope();
            if (i == 0)
            {
                watch.Start();
            }
            run();
        }
        return watch.Elapsed.TotalMilliseconds / reps;
    }
}
