using System;
using System.Linq;
using TLDsl.Runtime.Inspection;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Registries;

namespace TLDsl.Runtime.Tests.Inspection;

public sealed class InspectionAndFinderTests
{
    [Fact]
    public void The_layer_tree_has_shapes_parameter_counts_and_the_freeze_state()
    {
        var architecture = ModelZoo.Get("resnet18");
        var plan = new TransferModelPlan(architecture, WeightsSource.None, ["fc"], null,
            [new HeadLayer(HeadLayerKind.Linear, 7)], [new FreezeRule("backbone", n => !n.StartsWith("head", StringComparison.Ordinal), BatchNormPolicy.Eval)], (64, 64));
        using var model = TransferModelBuilder.Build(plan);

        var report = ModelInspector.Inspect(model, (64, 64));

        Assert.Equal(new long[] { 7 }, report.OutputShape);
        var layer1 = report.Layers.Single(l => l.Name == "layer1");
        Assert.Equal(new long[] { 64, 16, 16 }, layer1.OutputShape);
        Assert.True(layer1.Frozen);
        Assert.True(layer1.HeldInEval);
        var head = report.Layers.Single(l => l.Name == "head.0");
        Assert.Equal(512 * 7 + 7, head.TotalParameters);
        Assert.Equal(head.TotalParameters, report.TrainableParameters);
        Assert.Equal(11_176_512 + (512 * 7) + 7, report.TotalParameters); // torchvision resnet18 without fc
        Assert.Equal(["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"], report.Summarize(trainable: false));
        Assert.Equal(["head"], report.Summarize(trainable: true));
        // parents come before their children
        Assert.True(report.Layers.ToList().FindIndex(l => l.Name == "layer1.0") == report.Layers.ToList().FindIndex(l => l.Name == "layer1") + 1);
    }
}
