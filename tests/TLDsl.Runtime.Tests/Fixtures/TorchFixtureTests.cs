using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Fixtures;

/// <summary>
/// The committed PyTorch fixtures (tests/fixtures/torch, made by Debian's python3-torch 1.13) are readable, and
/// TorchVision 0.107's networks reproduce PyTorch's logits from them: evidence that the fixtures are right before
/// TLDsl's own loaders are tested against them.
/// </summary>
public sealed class TorchFixtureTests(ITestOutputHelper output)
{
    private static Tensor LoadInput()
    {
        var (shape, data) = NpyFile.ReadFloat32(FixturePaths.Get("torch", "input_2x3x64x64.npy"));
        Assert.Equal(new long[] { 2, 3, 64, 64 }, shape);
        return torch.tensor(data, shape);
    }

    private static float[] ExpectedLogits(string name)
    {
        var (shape, data) = NpyFile.ReadFloat32(FixturePaths.Get("torch", name + "_logits.npy"));
        Assert.Equal(new long[] { 2, 10 }, shape);
        return data;
    }

    private static float[] ToArray(Tensor t) => MemoryMarshal.Cast<byte, float>(t.contiguous().bytes).ToArray();

    [Fact]
    public void MobileNetV2_state_dict_unpickles_with_PyTorch_shapes()
    {
        var path = FixturePaths.Get("torch", "mobilenet_v2_w035_c10.pth");
        var dict = PyTorchUnpickler.UnpickleStateDict(path);
        using var model = torchvision.models.mobilenet_v2(num_classes: 10, width_mult: 0.35);
        var expected = model.state_dict();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), dict.Keys.Cast<string>().Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in expected)
        {
            var loaded = (Tensor)dict[key]!;
            Assert.Equal(tensor.shape, loaded.shape);
            Assert.Equal(tensor.dtype, loaded.dtype);
        }
    }

    [Fact]
    public void MobileNetV2_from_pth_reproduces_PyTorch_logits()
    {
        using var model = torchvision.models.mobilenet_v2(num_classes: 10, width_mult: 0.35);
        model.load_py(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.pth"), strict: true);
        model.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logits = ToArray(model.call(LoadInput()));
        var expected = ExpectedLogits("mobilenet_v2_w035_c10");
        var maxDiff = logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mobilenet_v2 w0.35: max |TorchSharp - PyTorch| = {maxDiff:G3}, max |logit| = {expected.Max(Math.Abs):G3}"));
        Assert.True(maxDiff <= 1e-4, $"max abs diff {maxDiff}");
    }

    [Fact]
    public void MobileNetV2_safetensors_holds_exactly_the_pth_values()
    {
        var fromPth = PyTorchUnpickler.UnpickleStateDict(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.pth"));
        var fromSafetensors = Safetensors.LoadStateDict(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.safetensors"));
        Assert.Equal(fromPth.Keys.Cast<string>().Order(StringComparer.Ordinal), fromSafetensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in fromSafetensors)
        {
            var pth = (Tensor)fromPth[key]!;
            Assert.Equal(pth.shape, tensor.shape);
            Assert.Equal(pth.dtype, tensor.dtype);
            Assert.True(pth.contiguous().bytes.SequenceEqual(tensor.contiguous().bytes), key); // bit for bit
        }

        using var model = torchvision.models.mobilenet_v2(num_classes: 10, width_mult: 0.35);
        model.load_safetensors(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.safetensors"), strict: true);
        model.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logits = ToArray(model.call(LoadInput()));
        var maxDiff = logits.Zip(ExpectedLogits("mobilenet_v2_w035_c10"), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-4, $"max abs diff {maxDiff}");
    }

    [Fact]
    public void Hash_init_matches_the_python_generator()
    {
        var probes = File.ReadAllLines(FixturePaths.Get("torch", "manifest.txt"))
            .Where(l => l.StartsWith("hash-init ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, probes.Count);
        using var model = torchvision.models.resnet18(num_classes: 10);
        var shapes = model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        foreach (var probe in probes)
        {
            var parts = probe.Split(' ');
            var key = parts[1];
            var values = HashInit.Values(key, shapes[key]);
            for (var i = 0; i < 4; i++)
            {
                // Python's repr of a float32 widened to double: exact, so compare bit for bit.
                Assert.Equal(double.Parse(parts[2 + i], CultureInfo.InvariantCulture), (double)values[i]);
            }
        }
    }

    [Fact]
    public void ResNet18_with_hash_init_reproduces_PyTorch_logits()
    {
        using var model = torchvision.models.resnet18(num_classes: 10);
        using (torch.no_grad())
        {
            foreach (var (key, tensor) in model.state_dict())
            {
                if (tensor.dtype == ScalarType.Float32)
                {
                    var values = HashInit.Values(key, tensor.shape);
                    tensor.bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
                }
            }
        }

        model.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logits = ToArray(model.call(LoadInput()));
        var expected = ExpectedLogits("resnet18_hashinit_c10");
        var maxDiff = logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        var maxLogit = expected.Max(Math.Abs);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resnet18 hash-init: max |TorchSharp - PyTorch| = {maxDiff:G3}, max |logit| = {maxLogit:G3}, relative {maxDiff / maxLogit:G3}"));
        Assert.True(maxDiff <= 1e-4 * maxLogit, $"max abs diff {maxDiff} vs max logit {maxLogit}");
    }
}
