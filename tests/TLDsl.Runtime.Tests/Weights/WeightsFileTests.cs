using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Weights;
using TLDsl.Spec.Registries;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Weights;

public sealed class WeightsFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-weights").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static nn.Module<Tensor, Tensor> Resnet(int seed)
    {
        manual_seed(seed);
        return ModelZoo.Get("resnet18").Create();
    }

    private string Save(nn.Module<Tensor, Tensor> model, string file)
    {
        string path = Path.Combine(_dir, file);
        switch (Path.GetExtension(file))
        {
            case ".safetensors": model.save_safetensors(path); break;
            case ".dat": model.save(path); break;
            default: model.save_py(path); break;
        }
        return path;
    }

    private static bool SameWeights(nn.Module a, nn.Module b)
    {
        var x = a.state_dict();
        var y = b.state_dict();
        return x.Keys.Order().SequenceEqual(y.Keys.Order()) && x.All(kv => kv.Value.eq(y[kv.Key]).all().item<bool>());
    }

    [Theory]
    [InlineData("w.safetensors")]
    [InlineData("w.pth")]
    [InlineData("w.dat")]
    public void A_round_trip_is_exact_and_keeps_requires_grad(string file)
    {
        var source = Resnet(10);
        string path = Save(source, file);
        var target = Resnet(11);
        target.named_parameters().First(p => p.name == "conv1.weight").parameter.requires_grad = false;
        Assert.False(SameWeights(source, target));

        var report = StateDictLoader.Load(target, StateDictFile.Read(path), path);

        Assert.True(report.IsExact);
        Assert.True(SameWeights(source, target));
        var flags = target.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
        Assert.False(flags["conv1.weight"]);
        Assert.True(flags["layer1.0.conv1.weight"]);
    }

    [Theory]
    [InlineData("w.safetensors")]
    [InlineData("w.pth")]
    [InlineData("w.dat")]
    public void A_truncated_file_names_the_file_and_leaves_the_model_untouched(string file)
    {
        string path = Save(Resnet(10), file);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var target = Resnet(11);
        var before = Resnet(11);

        var e = Assert.Throws<WeightsLoadException>(() => StateDictLoader.Load(target, StateDictFile.Read(path), path));

        Assert.StartsWith($"{path}: not a valid ", e.Message, StringComparison.Ordinal);
        Assert.True(SameWeights(before, target));
    }

    [Fact]
    public void A_file_of_another_format_is_a_clear_error()
    {
        string path = Path.Combine(_dir, "weights.pth");
        File.WriteAllText(path, "this is not a zip archive");
        var e = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        Assert.StartsWith($"{path}: not a valid PyTorch state dict (.pth/.pt zip) file", e.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(Path.ChangeExtension(path, ".h5")));
        Assert.Contains("weights file not found", unknown.Message, StringComparison.Ordinal);
        File.WriteAllText(Path.ChangeExtension(path, ".h5"), "x");
        unknown = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(Path.ChangeExtension(path, ".h5")));
        Assert.EndsWith("unknown weights format '.h5'; allowed: .pth, .pt, .safetensors, .dat.", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_sha256_pin_refuses_the_file_before_reading_it()
    {
        string path = Save(Resnet(10), "w.safetensors");
        string good = StateDictFile.Sha256(path);
        Assert.NotEmpty(StateDictFile.Read(path, good.ToUpperInvariant()));
        string bad = new('0', 64);
        var e = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path, bad));
        Assert.Equal($"{path}: SHA-256 is {good}, but the pipeline pins {bad}; the file was not loaded.", e.Message);
    }

    [Fact]
    public void A_shape_mismatch_names_the_key_and_loads_nothing()
    {
        manual_seed(12);
        var other = new ResNet("r", false, [2, 2, 2, 2], numClasses: 10);
        string path = Save(other, "ten-classes.safetensors");
        var target = Resnet(11);
        var before = Resnet(11);

        var e = Assert.Throws<WeightsLoadException>(() => StateDictLoader.Load(target, StateDictFile.Read(path), path));

        Assert.Equal($"{path}: the weights do not fit the model, nothing was loaded. shape mismatch: fc.weight: file [10, 512] vs model [1000, 512]; fc.bias: file [10] vs model [1000].", e.Message);
        Assert.True(SameWeights(before, target));
    }

    [Fact]
    public void Classifier_keys_are_skipped_only_when_the_pipeline_drops_the_classifier()
    {
        manual_seed(12);
        string path = Save(new ResNet("r", false, [2, 2, 2, 2], numClasses: 10), "ten.safetensors");
        var plan = new TransferModelPlan(ModelZoo.Get("resnet18"), new FileWeightsSource(path), ["fc"], null,
            [new HeadLayer(HeadLayerKind.Linear, 3)], [], (64, 64));
        using var model = TransferModelBuilder.Build(plan);
        var file = StateDictFile.Read(path);
        Assert.True(file["layer4.1.conv2.weight"].eq(model.state_dict()["layer4.1.conv2.weight"]).all().item<bool>());

        var keepFc = plan with { Drop = [], Head = [] };
        var e = Assert.Throws<WeightsLoadException>(() => TransferModelBuilder.Build(keepFc));
        Assert.Contains("fc.weight: file [10, 512] vs model [1000, 512]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unexpected_and_missing_keys_are_listed()
    {
        var source = Resnet(10).state_dict();
        source["extra.weight"] = zeros(3);
        source.Remove("layer1.0.conv1.weight");
        var e = Assert.Throws<WeightsLoadException>(() => StateDictLoader.Load(Resnet(11), source, "f.pth"));
        Assert.Equal("f.pth: the weights do not fit the model, nothing was loaded. missing from the file: layer1.0.conv1.weight. not in the model: extra.weight.", e.Message);
    }
}
