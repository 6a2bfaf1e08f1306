using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Surgery;

/// <summary>Where a base model's pre-trained weights come from.</summary>
public abstract record WeightsSource
{
    /// <summary>Random initialisation (training from scratch).</summary>
    public static readonly WeightsSource None = new NoWeights();
}

/// <summary>Random initialisation.</summary>
public sealed record NoWeights : WeightsSource;

/// <summary>Weights the architecture knows by name (e.g. <c>imagenet</c>).</summary>
/// <param name="Name">The name.</param>
public sealed record NamedWeightsSource(string Name) : WeightsSource;

/// <summary>A weights file (.pth/.pt, .safetensors, .dat), optionally pinned by SHA-256.</summary>
/// <param name="Path">The file.</param>
/// <param name="Sha256">The expected hash, or null.</param>
public sealed record FileWeightsSource(string Path, string? Sha256 = null) : WeightsSource;

/// <summary>Everything surgery needs, in runtime terms.</summary>
/// <param name="Architecture">The base model.</param>
/// <param name="Weights">Where its weights come from.</param>
/// <param name="Drop">Trailing modules to remove (e.g. <c>fc</c>); mutually exclusive with <paramref name="CutAfter"/>.</param>
/// <param name="CutAfter">The last module to keep.</param>
/// <param name="Head">Layers to add.</param>
/// <param name="Freeze">Freeze rules, applied in order.</param>
/// <param name="InputSize">Input height and width.</param>
public sealed record TransferModelPlan(
    BaseArchitecture Architecture,
    WeightsSource Weights,
    IReadOnlyList<string> Drop,
    string? CutAfter,
    IReadOnlyList<HeadLayer> Head,
    IReadOnlyList<FreezeRule> Freeze,
    (int Height, int Width) InputSize);

/// <summary>Builds a <see cref="TransferModel"/>: choose the base, load its weights strictly, drop, add, freeze.</summary>
public static class TransferModelBuilder
{
    /// <summary>Builds the model described by <paramref name="plan"/>.</summary>
    /// <exception cref="WeightsLoadException">The weights cannot be read or do not fit.</exception>
    /// <exception cref="SurgeryException">A drop, cut or head layer does not fit the model.</exception>
    public static TransferModel Build(TransferModelPlan plan, string name = "model")
    {
        ArgumentNullException.ThrowIfNull(plan);
        var architecture = plan.Architecture;
        var original = architecture.Create();
        var cut = plan.CutAfter is { } last
            ? BackboneCut.After(architecture, original, last)
            : BackboneCut.Drop(architecture, original, plan.Drop);

        LoadWeights(plan.Weights, architecture, original, cut);

        var featureShape = FeatureShape(architecture, original, cut, plan.InputSize);
        var (head, _) = HeadBuilder.Build(plan.Head, featureShape);
        var model = new TransferModel(name, architecture, original, cut, head, featureShape);
        foreach (var rule in plan.Freeze)
        {
            model.Freeze(rule);
        }
        return model;
    }

    private const string ExportedHeadPrefix = "head.";

    /// <summary>Loads weights into the uncut model; keys of dropped layers are skipped, and may be absent.</summary>
    private static void LoadWeights(WeightsSource source, BaseArchitecture architecture, Module<Tensor, Tensor> model, BackboneCut cut)
    {
        Dictionary<string, Tensor>? state;
        string sourceName;
        switch (source)
        {
            case FileWeightsSource file:
                state = StateDictFile.Read(file.Path, file.Sha256);
                sourceName = file.Path;
                break;
            case NamedWeightsSource named:
                var weights = architecture.Weights.Find(named.Name)
                    ?? throw new WeightsLoadException(
                        $"{architecture.Name} has no weights named '{named.Name}'; available: {(architecture.Weights.Count == 0 ? "none (use a weights file)" : string.Join(", ", architecture.Weights.Select(w => w.Name)))}.");
                state = NamedWeightsLoaders.Load(architecture, weights);
                sourceName = $"{architecture.Name} '{weights.Name}' weights";
                break;
            default:
                return;
        }
        try
        {
            // A file written by `tldsl export` holds the base model's keys plus the old head under head.N: a pipeline
            // that reuses such a model builds its own head, so those keys are skipped (unless the base has a 'head').
            bool skipExportedHead = !model.state_dict().Keys.Any(k => k.StartsWith(ExportedHeadPrefix, StringComparison.Ordinal));
            StateDictLoader.Load(model, state, sourceName,
                skip: key => cut.IsDropped(key) || (skipExportedHead && key.StartsWith(ExportedHeadPrefix, StringComparison.Ordinal)),
                allowMissing: key => cut.IsDropped(key) || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
        }
        finally
        {
            ReadBuffers.Release(state);
        }
    }

    private static long[] FeatureShape(BaseArchitecture architecture, Module<Tensor, Tensor> original, BackboneCut cut, (int Height, int Width) size)
    {
        // A throwaway model over the same modules runs one dummy image: exact for every architecture and cut.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = original.training;
        original.eval();
        using var empty = TorchSharp.torch.nn.Sequential();
        var probe = new TransferModel("probe", architecture, original, cut, empty, []);
        Tensor output;
        try
        {
            output = probe.ForwardFeatures(zeros(1, architecture.InputChannels, size.Height, size.Width));
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            // Validation cannot know each model's smallest input (alexnet needs 63 pixels a side, VGG 32): libtorch says
            // so here, on the first forward pass, before any data is read; it is a pipeline mistake, not a crash.
            original.Dispose();
            throw new TLDsl.Runtime.Pipelines.PipelineException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"input.size {size.Height}x{size.Width} is too small for '{architecture.Name}' (libtorch: {e.Message.Split('\n')[0].Trim()}). Use a larger input.size; the model was trained at {architecture.DefaultInputSize}x{architecture.DefaultInputSize}."));
        }
        catch (ArgumentException e)
        {
            // TorchSharp checks shapes itself (e.g. a Conv2d given the wrong number of channels): the base model does not
            // take this input, which is a pipeline or model-file mistake to report, not a crash.
            original.Dispose();
            throw new TLDsl.Runtime.Pipelines.PipelineException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"'{architecture.Name}' does not take a {architecture.InputChannels}-channel {size.Height}x{size.Width} input: {e.Message.Split('\n')[0].Trim()}"));
        }
        original.train(wasTraining);
        return output.shape.Skip(1).ToArray();
    }
}
