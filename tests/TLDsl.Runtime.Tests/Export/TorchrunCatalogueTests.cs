using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using TLDsl.Runtime.Export.Torchrun;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Tests.Data;
using TLDsl.Spec.Registries;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Export;

/// <summary>Every catalogue model either exports for torchrun, and then the program's PyTorch model computes TLDsl's
/// outputs from the exported weights, or is refused at export time naming <c>base.model</c>.</summary>
public sealed class TorchrunCatalogueTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Models() => [.. ModelZoo.All.Select(a => a.Name).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Models))]
    public void Exports_with_TLDsls_forward_or_is_refused_by_name(string name)
    {
        var architecture = ModelZoo.Get(name);
        int channels = architecture.InputChannels;
        int size = name == "small_cnn" ? 28 : 64;
        foreach (var label in new[] { "a", "b" })
        {
            ImageFiles.WritePng(_dir.File("data", label, "0.png"), Enumerable.Repeat((byte)(label == "a" ? 40 : 200), 8 * 8 * 3).ToArray(), 8, 8, 3);
        }
        string stats = string.Join(", ", Enumerable.Repeat("0.5", channels));
        // Every option-less activation of the head layer registry, each after a small linear layer, so that the program's
        // registry-driven activations are checked against TorchSharp's too.
        string activations = string.Concat(HeadLayers.All
            .Where(l => l.Form == HeadLayerForm.Plain && l.Kind != HeadLayerKind.Flatten)
            .Select(l => $"linear: 8, {l.Key}, "));
        string pipeline = _dir.File($"{name}.tl.yaml");
        File.WriteAllText(pipeline, $$"""
            version: 1
            name: Catalogue
            base: { model: {{name}}, weights: none{{(architecture.Classifier is null ? "" : ", drop: [classifier]")}} }
            input: { size: [{{size}}, {{size}}], channels: 3, normalize: { mean: [{{stats}}], std: [{{stats}}] } }
            labels: from_data
            head: [{{activations}}linear: labels]
            data:
              train: { folder: data }
            train:
              seed: 3
              batch: 2
              epochs: 1
            """);
        string program = _dir.File("program-" + name);

        if (!TorchrunPlan.Architectures.Contains(name))
        {
            var refused = Assert.Throws<PipelineException>(() => TorchrunExporter.Export(pipeline, program));
            Assert.StartsWith($"{pipeline}: base.model: cannot export for torchrun: '{name}' is not one the program builds", refused.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(program));
            return;
        }

        TorchrunExporter.Export(pipeline, program);
        var file = PipelineFile.Load(pipeline);
        var labels = PipelineInterpreter.Labels(file);
        manual_seed(3);
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, labels), "Catalogue");
        model.eval();
        long count = channels * size * size;
        float[] expected;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            expected = model.call(Input(count).view(1, channels, size, size)).contiguous().data<float>().ToArray();
        }

        string script = $$"""
            import json, os, torch, tldsl_support as s
            here = sys.argv[1]
            config = json.load(open(os.path.join(here, "pipeline.json")))
            model = s.TransferModel(config["model"])
            model.load_state_dict(s.load_safetensors(os.path.join(here, "weights.safetensors")), strict=True)
            model.eval()
            x = ((torch.arange({{count}}) % 97).float() / 97 - 0.5).view(1, {{channels}}, {{size}}, {{size}})
            with torch.no_grad():
                print(json.dumps(model(x).reshape(-1).tolist()))
            """;
        double[] actual = JsonSerializer.Deserialize<double[]>(TorchrunPython.Run(program, script))!;
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Select((v, i) => Math.Abs(v - actual[i])).Max();
        Assert.True(worst < 1e-4, $"{name}: the program's output differs from TLDsl's by up to {worst}");
    }

    /// <summary>The same values in both libraries: small integers divided exactly as float32.</summary>
    private static Tensor Input(long count) => (arange(count, ScalarType.Int64) % 97).to(ScalarType.Float32) / 97 - 0.5;
}
