using System;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
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
        using var stream = new MemoryStream();
        var emit = output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        stream.Position = 0;
        var assembly = AssemblyLoadContext.Default.LoadFromStream(stream);
        var type = assembly.GetType("TLDsl.Generated.TinyParityModel")!;

        manual_seed(1);
        using var generated = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type, false, path, null)!;
        var file = PipelineFile.Parse(Pipeline, Path.GetFullPath(path));
        using var runtime = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, ["circle", "square", "triangle"]), "TinyParity");

        // Same state-dict keys, then the runtime's weights copied across.
        var expectedKeys = runtime.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(expectedKeys, generated.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToList());
        Assert.Contains("head.3.weight", expectedKeys);
        generated.load_state_dict(runtime.state_dict());

        generated.eval();
        runtime.eval();
        using var input = randn(2, 3, 32, 32);
        using (no_grad())
        {
            using var a = generated.call(input);
            using var b = runtime.call(input);
            Assert.Equal(new long[] { 2, 3 }, a.shape);
            Assert.Equal(0f, (a - b).abs().max().item<float>());
        }

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
}
