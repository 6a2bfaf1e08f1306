using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TLDsl.Runtime.Models;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>
/// What oneDNN's channels-last layout does to TorchSharp's ResNet-18: the same model and batch as plain NCHW tensors
/// and as channels-last ones (NCHW shape, NHWC strides: what PyTorch's <c>to(memory_format=torch.channels_last)</c>
/// makes; TorchSharp 0.107 has no memory_format argument, so the strides are made by permute-contiguous-permute),
/// forward (eval, no grad) and forward+backward (train mode, cross-entropy), alternating in one process, medians over
/// rounds, with the outputs and gradients of both layouts compared.
/// </summary>
internal static class LayoutBenchmark
{
    public static int Run(string[] args)
    {
        int threads = ResultLine.Threads(args);
        int batch = BenchPipelines.Option(args, "--batch", 32);
        int rounds = BenchPipelines.Option(args, "--rounds", 5);
        var sizes = (BenchPipelines.Option(args, "--sizes") ?? "112,224").Split(',').Select(int.Parse).ToArray();
        Console.WriteLine($"layout: resnet18 (random init), batch {batch}, {threads} threads, {rounds} rounds alternating NCHW / channels-last");
        foreach (int size in sizes)
        {
            Compare(size, batch, rounds);
        }
        return 0;
    }

    /// <summary>Same values, channels-last strides (dense, C innermost).</summary>
    public static Tensor ChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>True when a 4-D tensor's channel dimension is innermost.</summary>
    public static bool IsChannelsLast(Tensor x) => x.dim() == 4 && x.stride(1) == 1 && x.shape[1] > 1;

    /// <summary>Rewrites every 4-D parameter of <paramref name="model"/> to channels-last strides, in place.</summary>
    public static void ToChannelsLast(TorchSharp.torch.nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (_, p) in model.named_parameters())
        {
            if (p.dim() == 4)
            {
                using var cl = ChannelsLast(p);
                p.set_(cl);
            }
        }
    }

    private static void Compare(int size, int batch, int rounds)
    {
        manual_seed(1);
        var architecture = ModelZoo.Get("resnet18");
        using var nchw = architecture.Create();
        using var last = architecture.Create();
        last.load_state_dict(nchw.state_dict());
        ToChannelsLast(last);
        int converted = last.parameters().Count(IsChannelsLast);
        using var x = randn(batch, 3, size, size);
        using var xLast = ChannelsLast(x);
        using var y = randint(0, 1000, [batch], dtype: ScalarType.Int64);

        var forward = new Dictionary<string, List<double>> { ["nchw"] = [], ["channels_last"] = [] };
        var step = new Dictionary<string, List<double>> { ["nchw"] = [], ["channels_last"] = [] };
        double logitDiff = 0, gradDiff = 0;
        string worst = "";
        bool outputLast = false;
        // Agreement first, from identical fresh weights and BN statistics: eval logits, then one train-mode backward.
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            nchw.eval();
            last.eval();
            var a = nchw.call(x);
            var b = last.call(xLast);
            var conv1 = (TorchSharp.torch.nn.Module<Tensor, Tensor>)last.named_modules().First(m => m.name == "conv1").module;
            outputLast = IsChannelsLast(conv1.call(xLast));
            logitDiff = (a - b).abs().max().item<float>() / a.abs().max().item<float>();
            var again = nchw.call(x);
            // Where the layouts part: the stem and stages one by one (both models in eval mode).
            var (ha, hb) = (x, xLast);
            var stages = new List<string>();
            foreach (var ((name, ma), (_, mb)) in nchw.named_children().Zip(last.named_children()))
            {
                if (name == "fc")
                {
                    break;
                }
                if (name == "layer4")
                {
                    // Inside the stage that parts: each convolution of its first block on the same input.
                    var blockA = ma.named_children().First().module;
                    var blockB = mb.named_children().First().module;
                    foreach (var ((convName, ca), (_, cb)) in blockA.named_children().Zip(blockB.named_children()))
                    {
                        if (convName is "conv1" || convName is "downsample")
                        {
                            var oa = ((TorchSharp.torch.nn.Module<Tensor, Tensor>)ca).call(ha);
                            var ob = ((TorchSharp.torch.nn.Module<Tensor, Tensor>)cb).call(hb);
                            stages.Add($"layer4.0.{convName} {(oa - ob).abs().max().item<float>() / oa.abs().max().item<float>():E1} (input {string.Join("x", ha.shape)}, output channels-last {IsChannelsLast(ob)})");
                        }
                    }
                }
                ha = ((TorchSharp.torch.nn.Module<Tensor, Tensor>)ma).call(ha);
                hb = ((TorchSharp.torch.nn.Module<Tensor, Tensor>)mb).call(hb);
                stages.Add($"{name} {(ha - hb).abs().max().item<float>() / ha.abs().max().item<float>():E1}");
            }
            Console.WriteLine("  relative difference after " + string.Join(", ", stages));
            Console.WriteLine($"  control: largest logit {a.abs().max().item<float>():G4}; NCHW twice max diff {(a - again).abs().max().item<float>():G4}; " +
                $"input copies equal: {x.eq(xLast).all().item<bool>()}; weights equal: {nchw.parameters().Zip(last.parameters()).All(p => p.First.eq(p.Second).all().item<bool>())}");
        }
        using (var scope = NewDisposeScope())
        {
            foreach (var model in new[] { nchw, last })
            {
                model.train();
                model.zero_grad();
                nn.functional.cross_entropy(model.call(model == nchw ? x : xLast), y).backward();
            }
            foreach (var ((name, pa), pb) in nchw.named_parameters().Zip(last.parameters()))
            {
                var ga = pa.grad!;
                var gb = pb.grad!;
                double before = gradDiff;
                // Norm-relative: a parameter whose gradient is near zero (BN biases before a BN) has no meaningful max-relative error.
                gradDiff = Math.Max(gradDiff, (ga - gb).norm().item<float>() / Math.Max(ga.norm().item<float>(), 1e-30f));
                worst = gradDiff > before ? name : worst;
            }
        }

        Console.WriteLine($"  {size}x{size}: agreement: eval logits max diff {logitDiff:E2} of the largest logit; gradients ||diff||/||grad|| at most {gradDiff:E2} over parameters ({worst})");
        if (rounds == 0)
        {
            return; // agreement only
        }
        for (int round = 0; round <= rounds; round++) // round 0 warms both up and is not counted
        {
            foreach (var (name, model, input) in new[] { ("nchw", nchw, x), ("channels_last", last, xLast) })
            {
                double f = Time(() =>
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    model.eval();
                    model.call(input);
                });
                double s = Time(() =>
                {
                    using var scope = NewDisposeScope();
                    model.train();
                    model.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(input), y);
                    loss.backward();
                });
                if (round > 0)
                {
                    forward[name].Add(f);
                    step[name].Add(s);
                }
            }
        }

        double fA = Median(forward["nchw"]), fB = Median(forward["channels_last"]);
        double sA = Median(step["nchw"]), sB = Median(step["channels_last"]);
        Console.WriteLine($"  {size}x{size}: {converted} 4-D parameters channels-last; conv1's output channels-last: {outputLast}");
        Console.WriteLine($"    forward (eval)          NCHW {fA,7:F0} ms   channels-last {fB,7:F0} ms   ratio {fA / fB:F2}x");
        Console.WriteLine($"    forward+backward (train) NCHW {sA,7:F0} ms   channels-last {sB,7:F0} ms   ratio {sA / sB:F2}x");
        ResultLine.Print($"layout_{size}", ("forward_nchw_ms", fA), ("forward_cl_ms", fB), ("step_nchw_ms", sA), ("step_cl_ms", sB),
            ("logit_rel_diff", logitDiff), ("grad_rel_diff", gradDiff));
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
