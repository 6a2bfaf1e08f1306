using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Tests.Data;

namespace TLDsl.Runtime.Tests.Onnx.Engine;

/// <summary>Prediction by ONNX Runtime: the run's model exported once into the run folder (keyed by its weights), the
/// same preprocessing, the same predictions as TorchSharp's.</summary>
public sealed class PredictEngineTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string TrainedRun(string tta)
    {
        foreach (var (name, shade) in new[] { ("cat", 30), ("dog", 120), ("emu", 210) })
        {
            for (int i = 0; i < 6; i++)
            {
                byte[] pixels = new byte[24 * 24 * 3];
                for (int p = 0; p < pixels.Length; p++)
                {
                    pixels[p] = (byte)((shade + (p * (i + 3) % 41)) % 256);
                }
                ImageFiles.WritePng(_dir.File("data", name, $"{i}.png"), pixels, 24, 24, 3);
            }
        }
        string path = _dir.File("predict.tl.yaml");
        File.WriteAllText(path, $$"""
            version: 1
            name: Predict
            base: { model: resnet18, weights: none }
            input: { size: [32, 32], channels: 3 }
            labels: from_data
            head: [dropout: 0.2, linear: labels]
            data:
              train: { folder: data }
              valid: { split: 0.25, seed: 1 }
              augment: []{{tta}}
            train: { seed: 5, batch: 6, optimizer: { adamw: { lr: 1e-3 } }, runs: runs, phases: [{ epochs: 2 }] }
            """);
        using var session = TrainingSession.Start(path);
        session.Train();
        return session.Run.Path;
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  tta: [flip]")]
    public void Onnx_runtime_predicts_what_torchsharp_predicts_from_one_cached_export(string tta)
    {
        string run = TrainedRun(tta);
        string[] images = Directory.GetFiles(_dir.File("data"), "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        using var model = RunModel.Open(run);
        var torch = model.Predict(images, 3, 4, InferenceEngine.Torch);
        Assert.Equal(InferenceEngine.Torch, model.EngineUsed);
        var ort = model.Predict(images, 3, 4, InferenceEngine.Ort);
        Assert.Equal(InferenceEngine.Ort, model.EngineUsed);

        Assert.Equal(torch.Select(p => p.Label), ort.Select(p => p.Label));
        // Once the session is open, a prediction leaves no tensor alive (one dispose scope per batch).
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(images.Length, model.Predict(images, 1, 4, InferenceEngine.Ort).Count);
        Assert.Equal(0, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
        foreach (var (t, o) in torch.Zip(ort))
        {
            Assert.Equal(t.Top.Select(x => x.Label), o.Top.Select(x => x.Label));
            Assert.All(t.Top.Zip(o.Top), pair => Assert.True(Math.Abs(pair.First.Probability - pair.Second.Probability) <= 1e-4,
                $"{t.Image}: {pair.First.Label} {pair.First.Probability} against {pair.Second.Probability}"));
        }

        // One exported file, reused by a second opening (same weights, same key), not written again.
        string[] exported = Directory.GetFiles(Path.Combine(run, "onnx"));
        Assert.Single(exported);
        var written = File.GetLastWriteTimeUtc(exported[0]);
        using (var again = RunModel.Open(run))
        {
            Assert.Equal(ort.Select(p => p.Label), again.Predict(images, 1, 32, InferenceEngine.Auto).Select(p => p.Label));
            Assert.Equal(InferenceEngine.Ort, again.EngineUsed);
        }
        Assert.Equal(exported, Directory.GetFiles(Path.Combine(run, "onnx")));
        Assert.Equal(written, File.GetLastWriteTimeUtc(exported[0]));
        Assert.Empty(Directory.GetFiles(Path.Combine(run, "onnx"), "*.tmp*"));
    }
}
