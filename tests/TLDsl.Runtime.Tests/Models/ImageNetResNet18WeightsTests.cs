using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Models;

public sealed class ImageNetResNet18WeightsTests
{
    /// <summary>The torchvision-style keys of a BasicBlock ResNet with [2, 2, 2, 3] blocks and no fc, with shapes,
    /// written out independently of the mapping code.</summary>
    private static Dictionary<string, long[]> ExpectedKeys()
    {
        var keys = new Dictionary<string, long[]>(StringComparer.Ordinal);
        void Bn(string prefix, long c)
        {
            foreach (var part in new[] { "weight", "bias", "running_mean", "running_var" })
            {
                keys[$"{prefix}.{part}"] = [c];
            }
        }

        keys["conv1.weight"] = [64, 3, 7, 7];
        Bn("bn1", 64);
        long inplanes = 64;
        int[] blocks = [2, 2, 2, 3];
        long[] widths = [64, 128, 256, 512];
        for (var stage = 0; stage < 4; stage++)
        {
            for (var b = 0; b < blocks[stage]; b++)
            {
                var prefix = $"layer{stage + 1}.{b}";
                var input = b == 0 ? inplanes : widths[stage];
                keys[prefix + ".conv1.weight"] = [widths[stage], input, 3, 3];
                Bn(prefix + ".bn1", widths[stage]);
                keys[prefix + ".conv2.weight"] = [widths[stage], widths[stage], 3, 3];
                Bn(prefix + ".bn2", widths[stage]);
                if (b == 0 && stage > 0)
                {
                    keys[prefix + ".downsample.0.weight"] = [widths[stage], inplanes, 1, 1];
                    Bn(prefix + ".downsample.1", widths[stage]);
                }
            }

            inplanes = widths[stage];
        }

        return keys;
    }

    [Fact]
    public void Mapping_is_a_bijection_over_all_110_initializers()
    {
        var model = OnnxModelFile.Read(ImageNetResNet18Weights.Locate());
        var mapping = ImageNetResNet18Weights.MapInitializers(model);

        Assert.Equal(ImageNetResNet18Weights.InitializerCount, mapping.Count);
        Assert.Equal(110, model.InitializerNames.Count);
        // Injective both ways and onto every initializer.
        Assert.Equal(mapping.Count, mapping.Select(p => p.Key).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(mapping.Count, mapping.Select(p => p.Value).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(model.InitializerNames.Order(StringComparer.Ordinal), mapping.Select(p => p.Key).Order(StringComparer.Ordinal));

        // Onto exactly torchvision's keys for [2, 2, 2, 3] (layer4.2.* included), each with the right shape.
        var expected = ExpectedKeys();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), mapping.Select(p => p.Value).Order(StringComparer.Ordinal));
        Assert.Contains(mapping, p => p.Value == "layer4.2.conv2.weight");
        foreach (var (onnxName, key) in mapping)
        {
            Assert.Equal(expected[key], model.Initializers[onnxName].Dims.ToArray());
        }
    }

    [Fact]
    public void Mapped_keys_are_those_of_the_zoos_ResNet18_ImageNet_without_its_classifier()
    {
        using var net = ModelZoo.Get("resnet18_imagenet").Create();
        var moduleKeys = net.state_dict()
            .Where(p => !p.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !p.Key.StartsWith("fc.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value.shape, StringComparer.Ordinal);
        Assert.Equal(ExpectedKeys().Keys.Order(StringComparer.Ordinal), moduleKeys.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, shape) in ExpectedKeys())
        {
            Assert.Equal(shape, moduleKeys[key]);
        }
    }

    [Fact]
    public void Load_state_dict_gives_float32_tensors_under_the_mapped_keys()
    {
        var state = ImageNetResNet18Weights.LoadStateDict(ImageNetResNet18Weights.Locate());
        try
        {
            var expected = ExpectedKeys();
            Assert.Equal(expected.Count, state.Count);
            foreach (var (key, tensor) in state)
            {
                Assert.Equal(expected[key], tensor.shape);
                Assert.Equal(ScalarType.Float32, tensor.dtype);
            }

            // Trained statistics, not defaults: variances positive, not all one; BN scales not all one.
            using var var = state["layer4.2.bn2.running_var"];
            Assert.True(var.min().item<float>() > 0);
            Assert.True((var - 1).abs().max().item<float>() > 0.01);
            Assert.True((state["bn1.weight"] - 1).abs().max().item<float>() > 0.01);
        }
        finally
        {
            foreach (var tensor in state.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [Fact]
    public void A_graph_that_is_not_the_ResNet_gives_a_clear_error()
    {
        var preprocess = OnnxModelFile.Read(ImageNetResNet18Weights.LocatePreprocess());
        var ex = Assert.Throws<OnnxFormatException>(() => ImageNetResNet18Weights.MapInitializers(preprocess));
        Assert.Contains("not the expected ImageNet ResNet-18 graph", ex.Message, StringComparison.Ordinal);
        Assert.Contains(preprocess.FilePath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocessing_constants_match_ResNetPreprocess_onnx()
    {
        var path = ImageNetResNet18Weights.LocatePreprocess();
        var model = OnnxModelFile.Read(path);

        // Split(RGB) then Concat(B, G, R): the network expects BGR.
        var split = model.Graph.Node.Single(n => n.OpType == "Split");
        var concat = model.Graph.Node.Single(n => n.OpType == "Concat");
        Assert.Equal(model.InputNames.Single(), split.Input[0]);
        Assert.Equal(new[] { split.Output[2], split.Output[1], split.Output[0] }, concat.Input.ToArray());
        Assert.True(ImageNetResNet18Weights.ExpectsBgr);
        // Only a subtraction follows: no division by a standard deviation.
        Assert.Equal(["Split", "Concat", "Sub"], model.Graph.Node.Select(n => n.OpType).ToArray());

        using var mean = ImageNetResNet18Weights.LoadMeanImage(path);
        Assert.Equal(new long[] { 3, 224, 224 }, mean.shape);
        using var channelMeans = mean.to_type(ScalarType.Float64).mean([1L, 2L]);
        var measured = channelMeans.data<double>().ToArray();
        for (var c = 0; c < 3; c++)
        {
            Assert.True(Math.Abs(measured[c] - ImageNetResNet18Weights.BgrChannelMeans[c]) < 1e-3,
                $"channel {c}: file {measured[c]} vs constant {ImageNetResNet18Weights.BgrChannelMeans[c]}");
        }

        // B < G < R, on the 0-255 scale.
        Assert.InRange(measured[0], 100, 106);
        Assert.InRange(measured[1], 113, 119);
        Assert.InRange(measured[2], 120, 126);
    }

    [Fact]
    public void Locate_finds_the_output_copy_then_the_NuGet_folder_and_else_says_where()
    {
        var located = ImageNetResNet18Weights.Locate();
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), located);
        using (var stream = File.OpenRead(located))
        {
            Assert.Equal(ImageNetResNet18Weights.Sha256, Convert.ToHexStringLower(SHA256.HashData(stream)));
        }

        var empty = Path.Combine(Path.GetTempPath(), "tldsl-empty-" + Guid.NewGuid().ToString("N"));
        var nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fromNuGet = ImageNetResNet18Weights.LocateFile("ResNet18.onnx", "ResNet18Onnx", empty, nugetRoot);
        Assert.StartsWith(nugetRoot, fromNuGet, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), fromNuGet, StringComparison.Ordinal);

        var ex = Assert.Throws<FileNotFoundException>(() =>
            ImageNetResNet18Weights.LocateFile("ResNet18.onnx", "ResNet18Onnx", empty, empty));
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(empty, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), ex.Message, StringComparison.Ordinal);
    }
}
