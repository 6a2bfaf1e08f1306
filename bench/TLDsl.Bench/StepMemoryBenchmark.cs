using System;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>Peak RSS of training steps of the ImageNet ResNet-18 (batch 32, 224x224) with a frozen or an unfrozen
/// backbone. Run once per mode in separate processes (peak RSS only grows).</summary>
internal static class StepMemoryBenchmark
{
    public static int Run(string[] args)
    {
        bool frozen = !args.Contains("--unfrozen");
        int batch = BenchPipelines.Option(args, "--batch", 32);
        int size = BenchPipelines.Option(args, "--size", 224);
        manual_seed(0);
        FreezeRule[] freeze = frozen ? [new FreezeRule("backbone", n => !n.StartsWith("head", StringComparison.Ordinal))] : [];
        using var model = TransferModelBuilder.Build(new TransferModelPlan(ModelZoo.Get("resnet18_imagenet"), new NamedWeightsSource("imagenet"),
            [], null, [new HeadLayer(HeadLayerKind.Linear, 10)], freeze, (size, size)));
        model.train();
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), 1e-3);
        double before = Rss.CurrentMiB;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        const int steps = 3;
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var x = randn(batch, 3, size, size);
            var y = randint(0, 10, [batch]);
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
        }
        Console.WriteLine($"{(frozen ? "frozen" : "unfrozen"),-9} backbone: peak RSS {Rss.PeakMiB:F1} MiB (RSS before the steps {before:F1} MiB), {watch.Elapsed.TotalSeconds / steps:F2} s/step, batch {batch} at {size}x{size}");
        return 0;
    }
}
