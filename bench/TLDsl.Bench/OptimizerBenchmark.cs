using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Registries;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>
/// The cost of one AdamW step over all of ResNet-18's parameters: the trainer's optimizer (one parameter group per
/// parameter, for per-parameter rates) against the same hyper-parameters in two groups (decay / no decay) and in one
/// group with decay for all (PyTorch's default shape, not the same update). TorchSharp 0.107's AdamW has no foreach or
/// fused step: every variant runs the same per-parameter loop, so only the group bookkeeping differs. Identical weights
/// and gradients in, steps alternating between the variants, medians; the weights after the steps are compared bytewise.
/// </summary>
internal static class OptimizerBenchmark
{
    private const double Rate = 1e-3;
    private const double Decay = 0.01;

    public static int Run(string[] args)
    {
        int threads = ResultLine.Threads(args);
        int steps = BenchPipelines.Option(args, "--steps", 30);
        manual_seed(3);
        var architecture = ModelZoo.Get("resnet18");
        var models = Enumerable.Range(0, 3).Select(_ => architecture.Create()).ToArray();
        var state = models[0].state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        foreach (var model in models)
        {
            model.load_state_dict(state);
            model.train();
            // Fixed gradients, the same for every model: one backward pass on a small random batch.
            manual_seed(4);
            using var scope = NewDisposeScope();
            nn.functional.cross_entropy(model.call(randn(4, 3, 64, 64)), randint(0, 1000, [4], dtype: ScalarType.Int64)).backward();
        }

        var plan = new OptimizerPlan(OptimizerKind.AdamW, Rate, Decay);
        using var perParameter = new RunOptimizer(models[0].named_parameters().Select(p => (p.name, p.parameter)), plan);
        var decayGroups = models[1].parameters().GroupBy(p => p.dim() > 1)
            .Select(g => new AdamW.ParamGroup(g, new AdamW.Options
            {
                LearningRate = Rate, beta1 = plan.Beta1, beta2 = plan.Beta2, eps = plan.Eps,
                weight_decay = g.Key ? Decay : 0, amsgrad = false, maximize = false,
            }));
        using var twoGroups = optim.AdamW(decayGroups, Rate);
        using var oneGroup = optim.AdamW(models[2].parameters(), Rate, plan.Beta1, plan.Beta2, plan.Eps, Decay);
        var variants = new (string Name, Func<Tensor> Step)[]
        {
            ($"per-parameter ({perParameter.Optimizer.ParamGroups.Count()} groups)", () => perParameter.Optimizer.step()),
            ("two groups (decay / none)", () => twoGroups.step()),
            ("one group (decay on all)", () => oneGroup.step()),
        };
        var times = variants.Select(_ => new List<double>()).ToArray();
        for (int step = 0; step <= steps; step++) // step 0 warms up and is not counted
        {
            for (int k = 0; k < variants.Length; k++)
            {
                int v = (step + k) % variants.Length; // rotate the order: no variant always runs first
                var watch = Stopwatch.StartNew();
                variants[v].Step()?.Dispose();
                if (step > 0)
                {
                    times[v].Add(watch.Elapsed.TotalMilliseconds);
                }
            }
        }

        bool Same(nn.Module a, nn.Module b) => a.parameters().Zip(b.parameters()).All(p => p.First.bytes.SequenceEqual(p.Second.bytes));
        Console.WriteLine($"optimizer: AdamW over resnet18's {models[0].parameters().Count()} parameters " +
            $"({models[0].parameters().Sum(p => p.numel()):N0} values), {threads} threads, {steps} alternating steps, median ms per step");
        for (int v = 0; v < variants.Length; v++)
        {
            Console.WriteLine($"  {variants[v].Name,-28} {LayoutBenchmark.Median(times[v]),7:F1} ms");
        }
        bool twoSame = Same(models[0], models[1]);
        Console.WriteLine($"  weights after {steps + 1} steps: two groups {(twoSame ? "bit-identical" : "DIFFERENT")} to per-parameter; " +
            $"one group {(Same(models[0], models[2]) ? "bit-identical" : "different (decay on biases and BN scales, as expected)")}");
        ResultLine.Print("optimizer", ("per_param_ms", LayoutBenchmark.Median(times[0])), ("two_groups_ms", LayoutBenchmark.Median(times[1])),
            ("one_group_ms", LayoutBenchmark.Median(times[2])), ("two_groups_identical", twoSame));
        foreach (var model in models)
        {
            model.Dispose();
        }
        foreach (var tensor in state.Values)
        {
            tensor.Dispose();
        }
        return 0;
    }
}
