using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Cli.Tests.Torchrun;

/// <summary>The ImageNet ResNet-18 with a frozen backbone, then layer4 unfrozen at its own rate (gradual unfreezing),
/// exported and trained by two gloo workers: each phase trains exactly what it names.</summary>
public sealed class TorchrunResNetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-torchrun-resnet").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_frozen_backbone_trains_its_head_then_layer4_unfreezes_in_the_second_phase()
    {
        string pipeline = Path.Combine(_folder, "TorchrunResNet.tl.yaml");
        File.WriteAllText(pipeline, $$"""
            version: 1
            name: TorchrunResNet
            base: { model: resnet18_imagenet, weights: imagenet }
            input: { size: [32, 32], channels: 1, normalize: weights }
            labels: [{{string.Join(", ", TestFiles.FashionLabels)}}]
            head: [linear: 16, relu, linear: labels]
            freeze: [backbone]
            data:
              train: { idx: { images: "{{TestFiles.Sample("train-images-idx3-ubyte.gz")}}", labels: "{{TestFiles.Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.2, seed: 3 }
              limit_per_class: 5
            train:
              seed: 11
              batch: 16
              optimizer: { sgd: { lr: 1e-2, momentum: 0.9 } }
              phases:
                - { name: head, epochs: 1 }
                - { name: layer4, epochs: 1, unfreeze: [layer4], lr: { layer4: 1e-3, head: 1e-2 }, schedule: cosine }
              checkpoint: { keep: all }
              runs: runs
            """);
        string program = await TorchrunHarness.ExportAsync(pipeline, Path.Combine(_folder, "program"));
        string run = Path.Combine(_folder, "run");
        var workers = await TorchrunHarness.RunAsync(program, 2, "--run-dir", run);
        TorchrunHarness.AssertAllSucceeded(workers);
        Assert.Contains("phase 'layer4'", workers[0].Stdout, StringComparison.Ordinal);

        TLDsl.Runtime.Native.TorchNative.EnsureLoaded();
        var initial = StateDictFile.Read(Path.Combine(program, "weights.safetensors"));
        var afterHead = StateDictFile.Read(Path.Combine(run, "checkpoints", "epoch-0001-step-00000003", "model.safetensors"));
        var afterLayer4 = StateDictFile.Read(Path.Combine(run, "checkpoints", "epoch-0002-step-00000006", "model.safetensors"));
        try
        {
            Assert.Equal(initial.Keys.Order(), afterHead.Keys.Order());
            Assert.DoesNotContain(Changed(initial, afterHead), k => !k.StartsWith("head.", StringComparison.Ordinal));
            Assert.Contains("head.0.weight", Changed(initial, afterHead));
            var second = Changed(afterHead, afterLayer4);
            Assert.Contains("layer4.2.conv2.weight", second);
            Assert.Contains("layer4.0.bn1.running_mean", second);
            Assert.Contains("head.2.weight", second);
            Assert.DoesNotContain(second, k => !k.StartsWith("layer4.", StringComparison.Ordinal) && !k.StartsWith("head.", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var t in initial.Values.Concat(afterHead.Values).Concat(afterLayer4.Values))
            {
                t.Dispose();
            }
        }

        var evaluate = await CliProcess.RunAsync(null, "evaluate", run);
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        Assert.Contains("split: valid", evaluate.Stdout, StringComparison.Ordinal);
    }

    private static List<string> Changed(Dictionary<string, Tensor> before, Dictionary<string, Tensor> after) =>
        before.Keys.Where(k => !before[k].eq(after[k]).all().item<bool>()).Order(StringComparer.Ordinal).ToList();
}
