using System;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Tests.Data;
using TLDsl.Runtime.Training;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Export;

/// <summary>The exported program's support module replays TLDsl's random draws and preprocessing: the same data
/// order per epoch, the same per-sample augmentation, the same input tensors.</summary>
public sealed class TorchrunSupportParityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Seeds_random_draws_and_epoch_orders_equal_dotnets()
    {
        (int N, int Seed, int Epoch)[] orders = [(10, 0, 0), (257, 42, 3), (1000, int.MaxValue, 17), (33, 7, 0)];
        (int A, int B, int C)[] seeds = [(0, 0, 0), (42, 3, 0x5EED), (int.MaxValue, -1, 12345), (-7, 99, 0x11A1)];
        int[] randoms = [0, 1, 42, int.MaxValue, 161803398, 2000000000, SampleSeed.Of(7, 1, 5)];
        string script = $$"""
            import json, tldsl_support as s
            orders = {{Json(orders.Select(o => new[] { o.N, o.Seed, o.Epoch }))}}
            seeds = {{Json(seeds.Select(o => new[] { o.A, o.B, o.C }))}}
            randoms = {{Json(randoms)}}
            def draws(seed):
                r = s.NetRandom(seed)
                return [r.next_double(), r.next_below(1000), r.next_between(5, 17), r.next_double()]
            print(json.dumps({
                "orders": [s.epoch_order(n, seed, epoch) for n, seed, epoch in orders],
                "seeds": [s.sample_seed(a, b, c) for a, b, c in seeds],
                "draws": [draws(seed) for seed in randoms],
            }))
            """;
        using var result = JsonDocument.Parse(TorchrunPython.Run(_dir.Path, script));
        var root = result.RootElement;
        for (int i = 0; i < orders.Length; i++)
        {
            Assert.Equal(Trainer.EpochOrder(orders[i].N, orders[i].Seed, orders[i].Epoch), root.GetProperty("orders")[i].EnumerateArray().Select(e => e.GetInt32()));
        }
        for (int i = 0; i < seeds.Length; i++)
        {
            Assert.Equal(SampleSeed.Of(seeds[i].A, seeds[i].B, seeds[i].C), root.GetProperty("seeds")[i].GetInt32());
        }
        for (int i = 0; i < randoms.Length; i++)
        {
            var random = new Random(randoms[i]);
            double[] expected = [random.NextDouble(), random.Next(1000), random.Next(5, 17), random.NextDouble()];
            Assert.Equal(expected, root.GetProperty("draws")[i].EnumerateArray().Select(e => e.GetDouble()));
        }
    }

    [Fact]
    public void Training_batches_with_every_augmentation_equal_TLDsls()
    {
        // Non-square colour images with texture, so that crops, flips, rotations and jitter all show.
        string[] files = new string[6];
        for (int i = 0; i < files.Length; i++)
        {
            byte[] pixels = new byte[40 * 30 * 3];
            for (int p = 0; p < pixels.Length; p++)
            {
                pixels[p] = (byte)((p * (i + 5) % 251) ^ (p / 90 * 17));
            }
            files[i] = _dir.File("images", i % 2 == 0 ? "a" : "b", $"{i}.png");
            ImageFiles.WritePng(files[i], pixels, 40, 30, 3);
        }
        var source = new FolderImageSource(_dir.File("images"), null);
        int[] indices = Enumerable.Range(0, source.Count).ToArray();
        Augmentation[] augment = [new RandomResizedCrop(0.3, 1), new HorizontalFlip(0.5), new VerticalFlip(0.5), new Rotation(20), new ColorJitter(0.4, 0.4, 0.4, 0.1)];
        const string PythonAugment = """
            [{"kind": "random_resized_crop", "scale": [0.3, 1.0], "ratio": [0.75, 1.3333333333333333]},
             {"kind": "horizontal_flip", "p": 0.5}, {"kind": "vertical_flip", "p": 0.5}, {"kind": "rotation", "degrees": 20.0},
             {"kind": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1}]
            """;
        foreach (int channels in new[] { 3, 1 })
        {
            var preprocessor = new ImagePreprocessor((24, 20), channels, Normalization.ImageNet, augment);
            using var scope = NewDisposeScope();
            float[] train = preprocessor.Batch(source, indices, train: true, seed: 5, epoch: 3).contiguous().data<float>().ToArray();
            float[] evaluation = preprocessor.Batch(source, indices, train: false, seed: 5, epoch: 3).contiguous().data<float>().ToArray();
            Assert.NotEqual(evaluation, train); // the augmentations did something
            string script = $$"""
                import json, torch, tldsl_support as s
                spec = {"height": 24, "width": 20, "channels": {{channels}}, "reverse_channels": False,
                        "scale": {{Json(preprocessor.ChannelScale.Select(v => (double)v))}}, "shift": {{Json(preprocessor.ChannelShift.Select(v => (double)v))}}}
                pre = s.Preprocessor(spec, {{PythonAugment}}, None)
                files = {{Json(indices.Select(source.NameOf))}}
                train = torch.stack([pre(s.decode_file(f), True, 5, 3, i) for i, f in enumerate(files)])
                evaluation = torch.stack([pre(s.decode_file(f), False, 5, 3, i) for i, f in enumerate(files)])
                print(json.dumps({"train": train.reshape(-1).tolist(), "eval": evaluation.reshape(-1).tolist()}))
                """;
            using var result = JsonDocument.Parse(TorchrunPython.Run(_dir.Path, script));
            AssertClose(train, result.RootElement.GetProperty("train"), $"training batch, {channels} channels");
            AssertClose(evaluation, result.RootElement.GetProperty("eval"), $"evaluation batch, {channels} channels");
        }
    }

    private static void AssertClose(float[] expected, JsonElement actual, string what)
    {
        double[] values = actual.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(expected.Length, values.Length);
        double worst = expected.Select((v, i) => Math.Abs(v - values[i])).Max();
        Assert.True(worst < 1e-4, string.Create(CultureInfo.InvariantCulture, $"{what}: the program's input differs from TLDsl's by up to {worst}"));
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}
