using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Surgery;

public sealed class SurgeryTests
{
    private static readonly HeadLayer[] LinearHead = [new(HeadLayerKind.Linear, 5)];

    internal static TransferModel Build(string arch, IReadOnlyList<string>? drop = null, string? cutAfter = null,
        IReadOnlyList<HeadLayer>? head = null, IReadOnlyList<FreezeRule>? freeze = null, int size = 64)
    {
        manual_seed(3);
        return TransferModelBuilder.Build(new TransferModelPlan(ModelZoo.Get(arch), WeightsSource.None,
            drop ?? ["fc"], cutAfter, head ?? LinearHead, freeze ?? [], (size, size)));
    }

    internal static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    internal static FreezeRule Prefixes(params string[] names) =>
        new(string.Join(",", names), n => names.Contains(n));

    [Theory]
    [InlineData("resnet18", "fc", new long[] { 512 })]
    [InlineData("resnet50", "fc", new long[] { 2048 })]
    [InlineData("mobilenet_v2", "classifier", new long[] { 1280 })]
    [InlineData("mobilenet_v2", "classifier.1", new long[] { 1280 })]
    [InlineData("mobilenet_v3_small", "classifier.3", new long[] { 1024 })]
    [InlineData("alexnet", "classifier.6", new long[] { 4096 })]
    public void Dropping_the_classifier_leaves_the_feature_size(string arch, string drop, long[] features)
    {
        using var model = Build(arch, drop: [drop]);
        Assert.Equal(features, model.FeatureShape);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.StartsWith(drop + ".", StringComparison.Ordinal));
        using var noGrad = no_grad();
        model.eval();
        Assert.Equal(new long[] { 2, 5 }, model.call(randn(2, 3, 64, 64)).shape);
    }

    [Fact]
    public void Cutting_after_layer3_gives_a_feature_map_that_a_pooled_head_accepts()
    {
        using var model = Build("resnet18", cutAfter: "layer3", head: [new(HeadLayerKind.ConcatPool), new(HeadLayerKind.Linear, 3)]);
        Assert.Equal(new long[] { 256, 4, 4 }, model.FeatureShape);
        Assert.Equal(["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3"], model.Steps.Select(s => s.Name));
        Assert.Equal(new long[] { 3, 512 }, model.state_dict()["head.1.weight"].shape);
    }

    [Fact]
    public void A_linear_head_on_a_feature_map_is_refused_with_advice()
    {
        var e = Assert.Throws<SurgeryException>(() => Build("resnet18", drop: ["avgpool", "fc"]));
        Assert.Equal("head layer 1 (linear): linear needs flat features, but the backbone gives a feature map [512, 2, 2]; add 'pool: avg' (or max/concat) or 'flatten' before it.", e.Message);
    }

    [Fact]
    public void Dropping_a_layer_that_is_followed_by_kept_layers_is_refused()
    {
        var e = Assert.Throws<SurgeryException>(() => Build("resnet18", drop: ["layer3"]));
        Assert.StartsWith("cannot drop 'layer3' but keep 'layer4', which comes after it", e.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<SurgeryException>(() => Build("resnet18", drop: ["fc2"]));
        Assert.StartsWith("cannot drop 'fc2': resnet18 has no droppable layer of that name; droppable: conv1, bn1", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Frozen_parameters_get_no_gradient_and_do_not_move_in_an_optimizer_step()
    {
        using var model = Build("resnet18", freeze: [Prefixes("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")]);
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var optimizer = optim.SGD(trainable, 0.1);
        var loss = nn.functional.cross_entropy(model.call(randn(4, 3, 64, 64)), tensor(new long[] { 0, 1, 2, 3 }));
        loss.backward();

        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("head.", StringComparison.Ordinal))
            {
                Assert.NotNull(p.grad);
            }
            else
            {
                Assert.False(p.requires_grad, name);
                Assert.Null(p.grad);
            }
        }
        optimizer.step();
        var after = model.state_dict();
        foreach (var (key, value) in before)
        {
            bool same = Same(value, after[key]);
            Assert.True(key.StartsWith("head.", StringComparison.Ordinal) ? !same : same, key);
        }
    }

    [Fact]
    public void Frozen_batchnorm_under_policy_eval_keeps_its_statistics_in_train_mode()
    {
        using var model = Build("resnet18", freeze: [Prefixes("conv1", "bn1", "layer1")]);
        model.train();
        var mean = model.state_dict()["layer1.0.bn1.running_mean"].clone();
        var trainableMean = model.state_dict()["layer2.0.bn1.running_mean"].clone();
        using (no_grad())
        {
            model.call(randn(4, 3, 64, 64) * 3 + 1);
        }
        Assert.True(Same(mean, model.state_dict()["layer1.0.bn1.running_mean"]));
        Assert.False(Same(trainableMean, model.state_dict()["layer2.0.bn1.running_mean"]));
        Assert.True(model.IsHeldInEval("layer1.0.bn1"));
        Assert.False(model.IsHeldInEval("layer2.0.bn1"));
    }

    [Fact]
    public void Policy_train_affine_trains_batchnorm_affine_but_keeps_its_statistics()
    {
        using var model = Build("resnet18", freeze: [new FreezeRule("all backbone", n => !n.StartsWith("head", StringComparison.Ordinal), BatchNormPolicy.TrainAffine)]);
        model.train();
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.True(named["layer2.0.bn1.weight"].requires_grad);
        Assert.False(named["layer2.0.conv1.weight"].requires_grad);
        var mean = model.state_dict()["layer2.0.bn1.running_mean"].clone();
        using (no_grad())
        {
            model.call(randn(4, 3, 64, 64) + 2);
        }
        Assert.True(Same(mean, model.state_dict()["layer2.0.bn1.running_mean"]));
    }

    [Fact]
    public void Trainable_across_phases_collects_every_parameter_some_phase_trains_and_changes_nothing()
    {
        var backbone = new FreezeRule("backbone", n => !n.StartsWith("head", StringComparison.Ordinal));
        using var model = Build("resnet18", freeze: [backbone]);
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
        IReadOnlyList<Func<string, bool>> none = [];
        IReadOnlyList<FreezeRule> keep = [];
        var trained = model.TrainableAcross([
            (none, keep),
            ([n => n == "layer4"], keep),
            (none, [new FreezeRule("layer4 again", n => n == "layer4", BatchNormPolicy.TrainAffine)]),
        ]);

        var expected = model.named_parameters().Select(p => p.name)
            .Where(n => n.StartsWith("head.", StringComparison.Ordinal) || n.StartsWith("layer4.", StringComparison.Ordinal));
        Assert.Equal(expected.Order(), trained.Order());
        Assert.Equal(before, model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad));
        Assert.True(model.IsHeldInEval("layer4.0.bn1"));

        // Under train_affine a frozen BatchNorm's scale and shift train from the start; its convolutions never do.
        using var affine = Build("resnet18", freeze: [backbone with { BatchNorm = BatchNormPolicy.TrainAffine }]);
        var affineTrained = affine.TrainableAcross([(none, keep)]);
        Assert.Contains("layer2.0.bn1.weight", affineTrained);
        Assert.Contains("bn1.bias", affineTrained);
        Assert.DoesNotContain("layer2.0.conv1.weight", affineTrained);
    }

    [Fact]
    public void A_frozen_backbone_runs_without_an_autograd_graph()
    {
        using var frozen = Build("resnet18", freeze: [new FreezeRule("backbone", n => !n.StartsWith("head", StringComparison.Ordinal))]);
        frozen.train();
        Assert.Equal(frozen.Steps.Count, frozen.FrozenPrefixLength());
        Assert.True(frozen.IsPrefixDeterministic(frozen.Steps.Count));
        using var unfrozen = Build("resnet18");
        Assert.Equal(0, unfrozen.FrozenPrefixLength());
        Assert.False(unfrozen.IsPrefixDeterministic(unfrozen.Steps.Count));
    }

    [Fact]
    public void Backbone_steps_release_each_output_once_the_next_step_has_it_but_never_the_input()
    {
        using var model = Build("resnet18");
        model.eval();
        using var input = randn(2, 3, 64, 64);
        Tensor first;
        int held;
        using (var scope = NewDisposeScope())
        {
            first = model.ForwardFeatures(input).MoveToOuterDisposeScope();
            held = scope.DisposablesCount;
        }
        using (first)
        using (var again = model.ForwardFeatures(input))
        {
            // The caller's input is intact and a second pass gives the same features.
            Assert.False(input.IsInvalid);
            Assert.True(Same(first, again));
        }
        // Nothing but the features was left behind (before: one tensor per step, 9 for resnet18, until the scope ended).
        Assert.Equal(0, held);
    }

    [Fact]
    public void Unfreezing_layer4_makes_it_trainable_and_releases_its_batchnorm()
    {
        using var model = Build("resnet18", freeze: [new FreezeRule("backbone", n => !n.StartsWith("head", StringComparison.Ordinal))]);
        int count = model.Unfreeze(n => n == "layer4");
        Assert.Equal(15, count); // 2 blocks x (2 conv + 2 bn x 2) + downsample conv + bn x 2
        model.train();
        Assert.False(model.IsHeldInEval("layer4.0.bn1"));
        Assert.True(model.IsHeldInEval("layer3.0.bn1"));
        Assert.Equal(7, model.FrozenPrefixLength()); // conv1 bn1 relu maxpool layer1 layer2 layer3
    }
}

public sealed class ImageNetSurgeryTests
{
    [Fact]
    public void The_offline_imagenet_weights_load_strictly_into_the_headless_resnet18()
    {
        manual_seed(4);
        var plan = new TransferModelPlan(ModelZoo.Get("resnet18_imagenet"), new NamedWeightsSource("imagenet"), [], null,
            [new HeadLayer(HeadLayerKind.Linear, 10)], [new FreezeRule("backbone", n => !n.StartsWith("head", StringComparison.Ordinal))], (112, 112));
        using var model = TransferModelBuilder.Build(plan);
        Assert.Equal(new long[] { 512 }, model.FeatureShape);
        // A loaded BatchNorm has ImageNet statistics, not the fresh module's zeros and ones.
        Assert.NotEqual(0f, model.state_dict()["layer4.2.bn2.running_mean"].abs().sum().item<float>());
        Assert.Equal(model.Steps.Count, model.FrozenPrefixLength());
    }

    [Fact]
    public void Weights_a_model_does_not_have_are_a_clear_error()
    {
        var plan = new TransferModelPlan(ModelZoo.Get("resnet18"), new NamedWeightsSource("imagenet"), ["fc"], null, [], [], (64, 64));
        var e = Assert.Throws<TLDsl.Runtime.Weights.WeightsLoadException>(() => TransferModelBuilder.Build(plan));
        Assert.Equal("resnet18 has no weights named 'imagenet'; available: none (use a weights file).", e.Message);
    }
}
