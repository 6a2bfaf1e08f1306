using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using static TorchSharp.torch;

namespace TLDsl.Generator.Tests;

/// <summary>The generated model, compiled against the runtime, trains one step and computes what the runtime's model computes.</summary>
public sealed class CompileAndRunTests
{
    private const string Pipeline = """
        version: 1
        name: TinyParity
        base:
          model: resnet18
          drop: [fc]
        input: { size: [32, 32] }
        labels: [circle, square, triangle]
        head:
          - dropout: 0.25
          - linear: 16
          - relu
          - linear: labels
        freeze:
          - first_stages: 2
        train:
          seed: 3
          batch: 2
          optimizer: { sgd: { lr: 0.1 } }
          epochs: 1
        """;

    [Fact]
    public void Generated_model_trains_and_matches_the_runtime_model_for_identical_weights()
    {
        TorchNative.EnsureLoaded();
        const string path = "pipelines/tiny.tl.yaml";
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText(path, Pipeline));
        Assert.Empty(diagnostics);
        var type = GeneratorHarness.Load(output).GetType("TLDsl.Generated.TinyParityModel")!;

        manual_seed(1);
        using var generated = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type, false, path, null)!;
        var file = PipelineFile.Parse(Pipeline, Path.GetFullPath(path));
        using var runtime = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, ["circle", "square", "triangle"]), "TinyParity");

        var expectedKeys = AssertSameModel(generated, runtime, 32);
        Assert.Contains("head.3.weight", expectedKeys);
        using var input = randn(2, 3, 32, 32);

        // One training step on CPU with the generated model.
        generated.train();
        var parameters = generated.parameters().Where(p => p.requires_grad).ToList();
        Assert.NotEmpty(parameters);
        using var before = parameters[^1].detach().clone();
        using var optimizer = optim.SGD(parameters, 0.1);
        optimizer.zero_grad();
        using var logits = generated.call(input);
        using var loss = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 2 }));
        loss.backward();
        optimizer.step();
        Assert.True(double.IsFinite(loss.item<float>()));
        Assert.True((before - parameters[^1]).abs().max().item<float>() > 0, "the step changed nothing");
    }

    private static nn.Module<Tensor, Tensor> Build(string pipeline, string typeName, string path)
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText(path, pipeline));
        Assert.Empty(diagnostics);
        var type = GeneratorHarness.Load(output).GetType("TLDsl.Generated." + typeName)!;
        return (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type, false, path, null)!;
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }

    private static nn.Module Module(nn.Module model, string name) => model.named_modules().Single(m => m.name == name).module;

    [Theory]
    [InlineData("eval", false)]
    [InlineData("train_affine", false)]
    [InlineData("train", true)]
    public void Train_mode_keeps_frozen_batchnorm_in_eval_as_the_runtime_does(string policy, bool frozenBatchNormTrains)
    {
        TorchNative.EnsureLoaded();
        string pipeline = Pipeline.Replace("  - first_stages: 2", "  - first_stages: 2\n    batchnorm: " + policy, StringComparison.Ordinal);
        Assert.Contains("batchnorm: " + policy, pipeline, StringComparison.Ordinal);
        manual_seed(2);
        using var model = Build(pipeline, "TinyParityModel", "pipelines/tiny-bn.tl.yaml");

        model.train();
        Assert.True(model.training);
        var frozen = (TorchSharp.Modules.BatchNorm2d)Module(model, "layer1.0.bn1");  // first_stages: 2 = stem + layer1
        var trainable = (TorchSharp.Modules.BatchNorm2d)Module(model, "layer3.0.bn1");
        Assert.Equal(frozenBatchNormTrains, frozen.training);
        Assert.Equal(frozenBatchNormTrains, Module(model, "bn1").training);
        Assert.True(trainable.training);
        Assert.True(Module(model, "head").training);
        Assert.True(Module(model, "head.0").training); // the head's dropout

        using var frozenMean = frozen.running_mean!.clone();
        using var trainableMean = trainable.running_mean!.clone();
        using (no_grad())
        {
            using var input = randn(4, 3, 32, 32);
            using var logits = model.call(input);
        }
        Assert.Equal(!frozenBatchNormTrains, Same(frozenMean, frozen.running_mean!));
        Assert.False(Same(trainableMean, trainable.running_mean!), "a trainable BatchNorm kept its statistics in train mode");

        model.eval();
        Assert.False(model.training);
        Assert.False(trainable.training);
        Assert.False(frozen.training);
        model.train();
        Assert.Equal(frozenBatchNormTrains, frozen.training);
    }

    // The ONNX base the Onnx/ pipelines name, an AdditionalFile of the build as the TLDsl props make it (TLD0041 otherwise).
    private static string OnnxFixture => Path.Combine(GeneratorHarness.RepoRoot, "tests", "fixtures", "onnx", "smallcnn_c10_opset14.onnx");

    [Fact]
    public void Generated_onnx_model_matches_the_runtime_model_for_identical_weights()
    {
        TorchNative.EnsureLoaded();
        string folder = Path.Combine(GeneratorHarness.RepoRoot, "tests", "TLDsl.Generator.Tests", "Onnx");
        string path = Path.Combine(folder, "smallcnn.tl.yaml");
        string text = File.ReadAllText(path);
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(),
            new MemoryText(path, text), new MemoryText(Path.Combine(folder, "smallcnn.layers.yaml"), File.ReadAllText(Path.Combine(folder, "smallcnn.layers.yaml"))),
            new ModelFileText(OnnxFixture));
        Assert.Empty(diagnostics);
        var type = GeneratorHarness.Load(output).GetType("TLDsl.Generated.OnnxSmallCnnModel")!;
        // The typed fields come from the listing: the kept graph layers, each its TorchSharp type.
        var fields = type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic).ToDictionary(f => f.Name, f => f.FieldType);
        Assert.Equal(typeof(TorchSharp.Modules.Conv2d), fields["conv1_Conv"]);
        Assert.Equal(typeof(TorchSharp.Modules.Linear), fields["fc1"]);
        Assert.False(fields.ContainsKey("fc2"), "the dropped classifier is a field");

        manual_seed(4);
        using var generated = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type, false, path, null)!;
        var file = PipelineFile.Parse(text, path);
        using var runtime = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, ["circle", "square", "triangle"]), "OnnxSmallCnn");
        var expectedKeys = AssertSameModel(generated, runtime, 64);
        Assert.Contains("conv1_Conv.weight", expectedKeys);
        Assert.Contains("head.1.weight", expectedKeys);
        Assert.DoesNotContain(expectedKeys, k => k.StartsWith("fc2.", StringComparison.Ordinal));
        using var input = randn(2, 3, 64, 64);

        // Trains on CPU: the frozen first layer keeps its weights, the unfrozen fc1 changes.
        generated.train();
        Assert.True(Module(generated, "head.0").training);
        var parameters = generated.parameters().Where(p => p.requires_grad).ToList();
        using var conv1Before = generated.state_dict()["conv1_Conv.weight"].clone();
        using var fc1Before = generated.state_dict()["fc1.weight"].clone();
        using var optimizer = optim.SGD(parameters, 0.1);
        using var logits = generated.call(input);
        using var loss = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 2 }));
        loss.backward();
        optimizer.step();
        Assert.True(Same(conv1Before, generated.state_dict()["conv1_Conv.weight"]), "a frozen layer changed");
        Assert.False(Same(fc1Before, generated.state_dict()["fc1.weight"]), "fc1 did not train");
    }

    [Fact]
    public void An_attribute_onnx_pipeline_types_its_model_from_the_layer_listing_in_the_additional_files()
    {
        string folder = Path.Combine(GeneratorHarness.RepoRoot, "tests", "TLDsl.Generator.Tests", "Onnx");
        const string source = """
            using TLDsl;
            namespace Demo;
            [TransferPipeline("OnnxAttributes")]
            [OnnxModel("../../fixtures/onnx/smallcnn_c10_opset14.onnx", Layers = "smallcnn.layers.yaml")]
            [Drop("classifier")]
            [Input(64, 64, Mean = new[] { 0.5, 0.5, 0.5 }, Std = new[] { 0.5, 0.5, 0.5 })]
            [Labels("circle", "square", "triangle")]
            [LinearLabels(1)]
            [Freeze("conv1_Conv")]
            [Train(Epochs = 1)]
            internal static partial class OnnxAttributesPipeline { }
            """;
        var compilation = GeneratorHarness.Compilation(source);
        var tree = compilation.SyntaxTrees.Single();
        // The class lives beside the listing, so the relative Layers path resolves to it (as it would in a project).
        compilation = compilation.ReplaceSyntaxTree(tree, tree.WithFilePath(Path.Combine(folder, "OnnxAttributes.cs")));
        string listing = Path.Combine(folder, "smallcnn.layers.yaml");
        var (_, output, diagnostics) = GeneratorHarness.Run(compilation, new MemoryText(listing, File.ReadAllText(listing)), new ModelFileText(OnnxFixture));

        Assert.Empty(diagnostics); // was TLD0030: the attribute reader could not read the listing
        var type = GeneratorHarness.Load(output).GetType("Demo.OnnxAttributesModel")!;
        var fields = type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic).ToDictionary(f => f.Name, f => f.FieldType);
        Assert.Equal(typeof(TorchSharp.Modules.Conv2d), fields["conv1_Conv"]);
        Assert.Equal(typeof(TorchSharp.Modules.Linear), fields["fc1"]);
        Assert.False(fields.ContainsKey("fc2"), "the dropped classifier is a field");
    }

    /// <summary>Asserts the generated and runtime models have the same state-dict keys, copies the runtime's weights into
    /// the generated model and asserts identical outputs (see <see cref="AssertSameOutputs"/>); returns the keys, sorted.</summary>
    internal static List<string> AssertSameModel(nn.Module<Tensor, Tensor> generated, nn.Module<Tensor, Tensor> runtime, int size, int channels = 3)
    {
        var expectedKeys = AssertSameKeys(generated, runtime);
        generated.load_state_dict(runtime.state_dict());
        AssertSameOutputs(generated, runtime, size, channels);
        return expectedKeys;
    }

    /// <summary>Asserts both models have the same state-dict keys; returns them, sorted.</summary>
    internal static List<string> AssertSameKeys(nn.Module<Tensor, Tensor> generated, nn.Module<Tensor, Tensor> runtime)
    {
        var expectedKeys = runtime.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(expectedKeys, generated.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToList());
        return expectedKeys;
    }

    /// <summary>Asserts identical outputs in eval mode for 2 random images of <paramref name="size"/> pixels and
    /// <paramref name="channels"/> channels, 3 labels.</summary>
    internal static void AssertSameOutputs(nn.Module<Tensor, Tensor> generated, nn.Module<Tensor, Tensor> runtime, int size, int channels)
    {
        generated.eval();
        runtime.eval();
        using var input = randn(2, channels, size, size);
        using (no_grad())
        {
            using var a = generated.call(input);
            using var b = runtime.call(input);
            Assert.Equal(new long[] { 2, 3 }, a.shape);
            Assert.Equal(0f, (a - b).abs().max().item<float>());
        }
    }

}
