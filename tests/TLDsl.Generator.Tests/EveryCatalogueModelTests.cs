using System;
using System.Linq;
using System.Reflection;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Catalogue;
using static TorchSharp.torch;

namespace TLDsl.Generator.Tests;

/// <summary>Every catalogue model, with its classifier dropped and a head added, builds through the generator and
/// computes what the runtime's model computes. mobilenet_v2's generated model could not even be constructed: the
/// generator inferred the layout from the catalogue's <c>spatial</c> flags instead of reading it.</summary>
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

        // Constructing it checks that the generated layout equals the runtime's (mobilenet_v2 threw here).
        using var generated = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type, false, path, null)!;
        // The runtime's model the generated one took its modules from (one build: VGG takes seconds to initialise).
        // Same modules, so any difference in outputs comes from the generated forward's layout.
        var runtime = (TransferModel)type.GetField("_runtime", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(generated)!;
        Assert.Contains("head.2.weight", CompileAndRunTests.AssertSameKeys(generated, runtime));
        CompileAndRunTests.AssertSameOutputs(generated, runtime, size, model.Channels);
    }
}
