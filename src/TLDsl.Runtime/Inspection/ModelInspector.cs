using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Surgery;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Inspection;

/// <summary>One module of a model's tree.</summary>
/// <param name="Name">The dotted module name (its state-dict prefix), e.g. <c>layer4.1.conv2</c>.</param>
/// <param name="Depth">1 for top-level modules, 2 for their children, ...</param>
/// <param name="Kind">The module's type, e.g. <c>Conv2d</c>.</param>
/// <param name="OutputShape">The output of one sample (no batch dimension), or null when the module is not called
/// through <c>call</c> during the forward pass or returns no single tensor.</param>
/// <param name="OwnParameters">Parameter values held by the module itself.</param>
/// <param name="TotalParameters">Parameter values of the module and its descendants.</param>
/// <param name="TrainableParameters">Of <paramref name="TotalParameters"/>, how many require gradients.</param>
/// <param name="HeldInEval">True when the module stays in eval mode while the model trains (a frozen BatchNorm).</param>
public sealed record LayerInfo(string Name, int Depth, string Kind, IReadOnlyList<long>? OutputShape, long OwnParameters,
    long TotalParameters, long TrainableParameters, bool HeldInEval)
{
    /// <summary>True when the module has parameters and none of them trains.</summary>
    public bool Frozen => TotalParameters > 0 && TrainableParameters == 0;

    /// <summary>True when some but not all of its parameters train.</summary>
    public bool PartlyFrozen => TrainableParameters > 0 && TrainableParameters < TotalParameters;
}

/// <summary>The layer tree of a model for one input size.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="InputShape">One sample's input, e.g. [3, 224, 224].</param>
/// <param name="OutputShape">One sample's output.</param>
/// <param name="Layers">Every module in depth-first order (the root excluded).</param>
/// <param name="TotalParameters">All parameter values.</param>
/// <param name="TrainableParameters">Parameter values that require gradients.</param>
public sealed record ModelReport(string Name, IReadOnlyList<long> InputShape, IReadOnlyList<long> OutputShape,
    IReadOnlyList<LayerInfo> Layers, long TotalParameters, long TrainableParameters)
{
    /// <summary>Parameter values that do not train.</summary>
    public long FrozenParameters => TotalParameters - TrainableParameters;

    /// <summary>The shortest list of module names that covers exactly the modules whose parameters all train
    /// (<paramref name="trainable"/> true) or are all frozen (false); parameter-free modules are left out.</summary>
    public IReadOnlyList<string> Summarize(bool trainable)
    {
        var result = new List<string>();
        string? covered = null;
        foreach (var layer in Layers)
        {
            if (covered is not null && layer.Name.StartsWith(covered + ".", StringComparison.Ordinal))
            {
                continue;
            }
            covered = null;
            if (layer.TotalParameters == 0 || layer.PartlyFrozen)
            {
                continue; // parameter-free, or mixed: its children decide
            }
            if (layer.Frozen != trainable)
            {
                result.Add(layer.Name);
            }
            covered = layer.Name;
        }
        return result;
    }
}

/// <summary>Inspects models: the layer tree with kinds, output shapes for an input size, parameter counts, and the
/// trainable/frozen and eval-mode state left by freeze rules. Used by <c>tldsl inspect</c>.</summary>
public static class ModelInspector
{
    /// <summary>Inspects a base architecture as built (random initialisation, original classifier).</summary>
    /// <param name="architecture">The architecture.</param>
    /// <param name="size">Input side (default: the architecture's default input size).</param>
    public static ModelReport Inspect(BaseArchitecture architecture, int? size = null)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        TorchNative.EnsureLoaded();
        int side = size ?? architecture.DefaultInputSize;
        using var module = architecture.Create();
        return Inspect(module, architecture.Name, (side, side), architecture.InputChannels);
    }

    /// <summary>Inspects a transfer model (after drop, head and freeze rules).</summary>
    public static ModelReport Inspect(TransferModel model, (int Height, int Width) inputSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Inspect(model, model.GetName(), inputSize, model.Architecture.InputChannels);
    }

    /// <summary>Inspects any single-tensor module for an input of <paramref name="channels"/> x <paramref name="inputSize"/>.
    /// The forward pass runs once on zeros in eval mode under no_grad; the module's train/eval state is restored afterwards.</summary>
    public static ModelReport Inspect(Module<Tensor, Tensor> module, string name, (int Height, int Width) inputSize, int channels = 3)
    {
        ArgumentNullException.ThrowIfNull(module);
        TorchNative.EnsureLoaded();
        var modules = DepthFirst(module, "").ToList();
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var removers = new List<IDisposable>();
        long[] output;
        bool wasTraining = module.training;

        // Which modules stay in eval while the model trains: put it in train mode and look.
        module.train();
        var heldInEval = modules.Where(m => !m.module.training).Select(m => m.name).ToHashSet(StringComparer.Ordinal);
        // A container counts as held when everything in it is (its own flag may not reflect its children's).
        for (int i = modules.Count - 1; i >= 0; i--)
        {
            var children = modules[i].module.named_children().Select(c => modules[i].name + "." + c.name).ToList();
            if (children.Count > 0 && children.All(heldInEval.Contains))
            {
                heldInEval.Add(modules[i].name);
            }
        }
        module.eval();
        try
        {
            foreach (var (moduleName, child) in modules)
            {
                if (child is Module<Tensor, Tensor> hookable)
                {
                    string key = moduleName;
                    removers.Add(new HookHandle(hookable.register_forward_hook((_, _, result) =>
                    {
                        shapes[key] = result.shape.Skip(1).ToArray();
                        return result;
                    })));
                }
            }
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            output = module.call(zeros(1, channels, inputSize.Height, inputSize.Width)).shape.Skip(1).ToArray();
        }
        finally
        {
            foreach (var r in removers)
            {
                r.Dispose();
            }
            module.train(wasTraining);
        }

        var layers = new List<LayerInfo>(modules.Count);
        foreach (var (moduleName, child) in modules)
        {
            long own = child.parameters(recurse: false).Sum(p => p.numel());
            var all = child.parameters().ToList();
            layers.Add(new LayerInfo(moduleName, moduleName.Count(c => c == '.') + 1, child.GetType().Name,
                shapes.TryGetValue(moduleName, out var s) ? s : null, own, all.Sum(p => p.numel()),
                all.Where(p => p.requires_grad).Sum(p => p.numel()), heldInEval.Contains(moduleName)));
        }
        var parameters = module.parameters().ToList();
        return new ModelReport(name, [channels, inputSize.Height, inputSize.Width], output, layers,
            parameters.Sum(p => p.numel()), parameters.Where(p => p.requires_grad).Sum(p => p.numel()));
    }

    /// <summary>Every descendant with its full dotted name, parents before their children (depth first).</summary>
    private static IEnumerable<(string name, Module module)> DepthFirst(Module parent, string prefix)
    {
        foreach (var (name, child) in parent.named_children())
        {
            string full = prefix.Length == 0 ? name : prefix + "." + name;
            yield return (full, child);
            foreach (var descendant in DepthFirst(child, full))
            {
                yield return descendant;
            }
        }
    }

    private sealed class HookHandle(HookableModule<Func<Module<Tensor, Tensor>, Tensor, Tensor>, Func<Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover remover) : IDisposable
    {
        public void Dispose() => remover.remove();
    }
}
