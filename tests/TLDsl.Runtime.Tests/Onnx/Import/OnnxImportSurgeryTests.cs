using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Registries;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>An imported graph as a pipeline base: cut, drop, freeze, fine-tune; and its layer listing.</summary>
public sealed class OnnxImportSurgeryTests(ITestOutputHelper output)
{
    private static string SmallCnn => FixturePaths.Get("onnx", "smallcnn_c10_opset14.onnx");

    private static TransferModel Build(BaseArchitecture architecture, params FreezeRule[] freeze) =>
        TransferModelBuilder.Build(new TransferModelPlan(architecture, WeightsSource.None, [architecture.Classifier!], null,
            [new HeadLayer(HeadLayerKind.Linear, Size: 10)], freeze, (64, 64)));

    [Fact]
    public void Dropping_the_classifier_keeps_its_input_as_features_under_the_layer_names()
    {
        var architecture = OnnxBaseArchitecture.Create(SmallCnn);
        Assert.Equal("fc2", architecture.Classifier);
        using var model = Build(architecture);
        Assert.Equal(new long[] { 32 }, model.FeatureShape);
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("conv1_Conv.weight", keys);
        Assert.Contains("fc1.weight", keys);
        Assert.Contains("head.0.weight", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("fc2", StringComparison.Ordinal) || k.StartsWith("onnx.", StringComparison.Ordinal));
        Assert.Contains("onnx.fc2", model.Cut.Dropped);

        // The features equal the imported graph's value at the classifier's input.
        using var graph = OnnxImporter.Import(OnnxModelFile.Read(SmallCnn));
        graph.eval();
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        torch.manual_seed(3);
        var x = torch.randn(2, 3, 64, 64);
        var expected = graph.ForwardTo(x, graph.Layers.Last(l => l.OpType == "HardSigmoid").Name);
        Assert.True(model.ForwardFeatures(x).allclose(expected));
    }

    [Fact]
    public void Cut_after_a_layer_returns_its_output()
    {
        var architecture = OnnxBaseArchitecture.Create(SmallCnn);
        using var original = architecture.Create();
        var cut = BackboneCut.After(architecture, original, "conv1_Conv");
        Assert.Equal(new GraphCut(OnnxBaseArchitecture.StepName, "conv1_Conv", true), cut.GraphCut);
        var model = TransferModelBuilder.Build(new TransferModelPlan(architecture, WeightsSource.None, [], "conv1_Conv", [], [], (64, 64)));
        Assert.Equal(new long[] { 8, 32, 32 }, model.FeatureShape);
        Assert.Throws<SurgeryException>(() => BackboneCut.After(architecture, original, "no_such_layer"));
    }

    [Fact]
    public void Fine_tuning_through_an_imported_graph_trains_and_a_frozen_prefix_gets_no_gradient()
    {
        string[] labels = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];
        var dir = RepoPaths.Get("samples", "fashion-mnist");
        var source = new IdxImageSource(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"), labels);
        var preprocessor = new ImagePreprocessor((64, 64), 3, Normalization.ImageNet, []);
        int[] indices = [.. Enumerable.Range(0, 64)];
        using var images = preprocessor.Batch(source, indices, false, 1, 0);
        using var targets = ImagePreprocessor.Labels(source, indices);

        torch.manual_seed(0);
        var architecture = OnnxBaseArchitecture.Create(SmallCnn);
        using var model = Build(architecture, new FreezeRule("conv1_Conv", n => n == "conv1_Conv"));
        Assert.False(model.get_parameter("conv1_Conv.weight")!.requires_grad);
        model.train();
        var optimizer = torch.optim.Adam(model.parameters().Where(p => p.requires_grad), lr: 3e-3);
        var losses = new double[20];
        for (int step = 0; step < losses.Length; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(images), targets);
            loss.backward();
            if (step == 0)
            {
                Assert.Null(model.get_parameter("conv1_Conv.weight")!.grad);
                foreach (var name in new[] { "branch_a.weight", "conv3.weight", "fc1.weight", "head.0.weight" })
                {
                    var grad = model.get_parameter(name)!.grad;
                    Assert.True(grad is not null && grad.abs().sum().ToDouble() > 0, $"{name} has no gradient");
                }
            }

            optimizer.step();
            losses[step] = loss.ToDouble();
        }

        output.WriteLine("losses: " + string.Join(", ", losses.Select(l => l.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.True(losses[^3..].Average() < losses[..3].Average() * 0.8, "loss did not fall");
    }

    [Fact]
    public void BatchNorm_of_an_imported_graph_updates_its_running_statistics_in_train_mode()
    {
        using var graph = OnnxImporter.Import(OnnxModelFile.Read(TLDsl.Runtime.Weights.ImageNetResNet18Weights.Locate()));
        var bn = graph.Layers.First(l => l.OpType == "BatchNormalization");
        var module = Assert.IsType<TorchSharp.Modules.BatchNorm2d>(bn.Module);
        using var before = module.running_mean!.clone();
        graph.train();
        using (var scope = NewDisposeScope())
        {
            torch.manual_seed(1);
            graph.ForwardTo(torch.randn(2, 3, 224, 224) * 50, bn.Name);
        }

        Assert.False(module.running_mean!.allclose(before));
    }

    [Fact]
    public void Layer_listing_reads_as_a_catalogue_file()
    {
        var text = OnnxLayerListing.Write(OnnxModelFile.Read(SmallCnn));
        output.WriteLine(text[..Math.Min(text.Length, 1500)]);
        var info = CatalogueReader.Read(text, out var errors);
        Assert.Empty(errors);
        Assert.NotNull(info);
        Assert.Equal(["fc2"], info!.Classifier.ToArray());
        Assert.Equal(32, info.FeatureSize);
        Assert.Contains(info.Modules.ToArray(), m => m.Name == "conv1_Conv" && m.Kind == "Conv2d");
        Assert.True(info.Stages.Count >= 2);
    }
}
