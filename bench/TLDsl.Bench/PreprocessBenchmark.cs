using System;
using System.Diagnostics;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>The image preprocessor alone: one batch of 64 Fashion-MNIST images (28x28 gray) to 3x112x112, for
/// evaluation, with crop+flip and with every augmentation, at the machine's torch threads and at one. Median of 15
/// batches after one untimed batch. (It was a test asserting an upper bound; figures are printed here instead.)</summary>
internal static class PreprocessBenchmark
{
    private static readonly string[] Labels =
        ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];

    public static int Run(string[] args)
    {
        int reps = BenchPipelines.Option(args, "--reps", 15);
        var (images, labels, _, _) = BenchPipelines.IdxFiles(BenchPipelines.DataFolder(args));
        var source = new IdxImageSource(images, labels, Labels);
        var eval = new ImagePreprocessor((112, 112), 3, Normalization.ImageNet, []);
        var train = new ImagePreprocessor((112, 112), 3, Normalization.ImageNet, [new RandomResizedCrop(0.7, 1.0), new HorizontalFlip()]);
        var heavy = new ImagePreprocessor((112, 112), 3, Normalization.ImageNet,
            [new RandomResizedCrop(0.5, 1.0), new HorizontalFlip(), new Rotation(15), new ColorJitter(0.3, 0.3, 0.3, 0.1)]);
        int[] indices = [.. Enumerable.Range(0, 64).Select(i => i * 41 % source.Count)];

        double Median(ImagePreprocessor pre, bool isTrain)
        {
            using (pre.Batch(source, indices, isTrain, 1, reps))
            {
            }
            var times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                var watch = Stopwatch.StartNew();
                using var batch = pre.Batch(source, indices, isTrain, 1, r);
                times[r] = watch.Elapsed.TotalMilliseconds;
            }
            Array.Sort(times);
            return times[reps / 2];
        }

        int threads = get_num_threads();
        try
        {
            foreach (int n in new[] { threads, 1 }.Distinct())
            {
                set_num_threads(n);
                double e = Median(eval, false);
                double t = Median(train, true);
                double h = Median(heavy, true);
                Console.WriteLine($"64 x 28x28 -> 3x112x112, {Environment.ProcessorCount} cores, {n} torch thread(s): eval {e:F1} ms, " +
                    $"crop+flip {t:F1} ms, crop+flip+rotation+jitter {h:F1} ms (median of {reps})");
            }
        }
        finally
        {
            set_num_threads(threads);
        }
        return 0;
    }
}
