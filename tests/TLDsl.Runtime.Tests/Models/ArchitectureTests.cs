using System;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Models;

public sealed class ArchitectureTests
{
    public static TheoryData<string> Names => new(ModelZoo.All.Select(a => a.Name).Where(n => n != "vgg16"));

    [Theory]
    [MemberData(nameof(Names))]
    public void Running_the_layout_reproduces_the_modules_own_forward(string name)
    {
        var architecture = ModelZoo.Get(name);
        using var scope = NewDisposeScope();
        manual_seed(1);
        var module = architecture.Create();
        module.eval();
        var x = randn(2, architecture.InputChannels, 96, 96);
        using var noGrad = no_grad();
        var expected = module.call(x);
        using var head = nn.Sequential();
        var model = new TransferModel("m", architecture, module, BackboneCut.None(architecture), head, []);
        var actual = model.ForwardFeatures(x);
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50")]
    public void Our_resnet_has_torchvisions_keys_and_shapes_and_computes_the_same_function(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var ours = ModelZoo.Get(name).Create();
        var theirs = name switch
        {
            "resnet18" => torchvision.models.resnet18(),
            "resnet34" => torchvision.models.resnet34(),
            _ => torchvision.models.resnet50(),
        };
        var a = ours.state_dict();
        var b = theirs.state_dict();
        Assert.Equal(b.Keys.Order(StringComparer.Ordinal), a.Keys.Order(StringComparer.Ordinal));
        Assert.All(b, kv => Assert.Equal(kv.Value.shape, a[kv.Key].shape));

        StateDictLoader.Load(ours, b, "torchvision");
        ours.eval();
        theirs.eval();
        using var noGrad = no_grad();
        var x = randn(1, 3, 64, 64);
        Assert.True((ours.call(x) - theirs.call(x)).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void The_imagenet_resnet18_has_three_blocks_in_layer4()
    {
        var model = ModelZoo.Get("resnet18_imagenet").Create();
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("layer4.2.conv2.weight", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("fc.", StringComparison.Ordinal)); // headless, like the ONNX featurizer
        Assert.DoesNotContain("layer3.2.conv1.weight", keys);
        Assert.IsType<BgrMeanNormalization>(ModelZoo.Get("resnet18_imagenet").NormalizationFor("imagenet"));
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var e = Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => ModelZoo.Get("resnet19"));
        Assert.Contains("resnet18, resnet18_imagenet, resnet34", e.Message, StringComparison.Ordinal);
    }
}
