using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Catalogue;
using static TorchSharp.torch;

namespace TLDsl.Generator.Tests;

/// <summary>Every catalogue model, fine-tuned as a typical pipeline would, builds through the generator and computes
/// what the runtime's model computes (mobilenet_v2's generated model once could not even be constructed).</summary>
public sealed class EveryCatalogueModelTests
{
    // 64 px: small enough to keep VGG-16 quick, large enough for every model (AlexNet needs at least 63).
    private const int MaxSize = 64;

    public static TheoryData<string> Models() => new(ModelCatalogue.Default.Names);

    [Theory]
    [MemberData(nameof(Models))]
    public void Generated_model_matches_the_runtime_model(string name)
    {
        TorchNative.EnsureLoaded();
        Assert.True(ModelCatalogue.Default.TryGet(name, out var model));
        int size = Math.Min(MaxSize, model.InputHeight);
        string values(string v) => string.Join(", ", Enumerable.Repeat(v, model.Channels));
        string pipeline = "version: 1\nname: CatalogueParity\n" +
            "base: { model: " + name + (model.Classifier.IsEmpty ? "" : ", drop: [classifier]") + " }\n" +
            $"input: {{ size: [{size}, {size}], channels: {model.Channels}, normalize: {{ mean: [{values("0.5")}], std: [{values("0.25")}] }} }}\n" +
            "labels: [a, b, c]\n" +
            "head:\n  - linear: 8\n  - relu\n  - linear: labels\n" +
            "train: { epochs: 1 }\n";
        string path = "pipelines/" + name + ".tl.yaml";
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText(path, pipeline));
        Assert.Empty(diagnostics);
        var type = GeneratorHarness.Load(output).GetType("TLDsl.Generated.CatalogueParityModel")!;

        manual_seed(5);
        using var generated = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type, false, path, null)!;
        var file = PipelineFile.Parse(pipeline, Path.GetFullPath(path));
        using var runtime = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, ["a", "b", "c"]), "CatalogueParity");
        var keys = CompileAndRunTests.AssertSameModel(generated, runtime, size, model.Channels);
        Assert.Contains("head.2.weight", keys);
    }
}
