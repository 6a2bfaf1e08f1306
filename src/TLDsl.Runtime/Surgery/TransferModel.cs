using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Registries;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Surgery;

/// <summary>
/// A pre-trained backbone, cut where the pipeline says, followed by the added head. Backbone modules keep their
/// original names (so their state-dict keys are the base model's: <c>layer1.0.conv1.weight</c>); added layers live
/// under <c>head</c> (<c>head.0.weight</c>). The leading steps with no trainable parameter run under
/// <c>no_grad</c>: a frozen backbone costs its forward pass only and keeps no activations for backward.
/// </summary>
public sealed class TransferModel : Module<Tensor, Tensor>
{
    private readonly IReadOnlyList<LayoutStep> _steps;
    private readonly Dictionary<string, Module<Tensor, Tensor>> _stepModules = new(StringComparer.Ordinal);
    private readonly Sequential head;
    private readonly HashSet<string> _heldInEval = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphSteps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Module> _modulesByName;
    // Modules cut away by surgery are kept referenced so their native handles outlive the kept ones they shared a parent with.
    private readonly Module<Tensor, Tensor> _original;

    internal TransferModel(string name, BaseArchitecture architecture, Module<Tensor, Tensor> original, BackboneCut cut,
        Sequential head, long[] featureShape) : base(name)
    {
        Architecture = architecture;
        Cut = cut;
        FeatureShape = featureShape;
        _original = original;
        _steps = cut.Steps;
        var children = original.named_children().ToDictionary(c => c.name, c => c.module);
        foreach (var step in _steps.Where(s => s.Kind == LayoutStepKind.Child))
        {
            var module = (Module<Tensor, Tensor>)children[step.Name];
            if (module is IGraphBackbone graph)
            {
                // A graph backbone (imported ONNX): cut inside by layer, and its layers become direct children, so
                // their names (freeze rules, state-dict keys) are the graph's own layer names.
                if (cut.GraphCut is { } graphCut && graphCut.Step == step.Name)
                {
                    module = graph.Truncate(graphCut.Layer, graphCut.KeepLayer);
                }
                _stepModules[step.Name] = module;
                _graphSteps.Add(step.Name);
                foreach (var (layerName, layer) in module.named_children())
                {
                    register_module(layerName, layer);
                }
                continue;
            }
            if (step.TruncateAt is int keep)
            {
                var items = module.named_children().Take(keep)
                    .Select(c => (c.name, (Module<Tensor, Tensor>)c.module)).ToArray();
                module = Sequential(items);
            }
            _stepModules[step.Name] = module;
            register_module(step.Name, module);
        }
        this.head = head;
        register_module("head", head);
        _modulesByName = named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
    }

    /// <summary>The base architecture.</summary>
    public BaseArchitecture Architecture { get; }

    /// <summary>What was kept and dropped of the base model.</summary>
    public BackboneCut Cut { get; }

    /// <summary>Shape of one sample's backbone output (the head's input), e.g. [512] or [256, 14, 14].</summary>
    public IReadOnlyList<long> FeatureShape { get; }

    /// <summary>The added layers.</summary>
    public Sequential Head => head;

    /// <summary>The backbone's forward steps that were kept.</summary>
    public IReadOnlyList<LayoutStep> Steps => _steps;

    /// <summary>The module that runs the kept step <paramref name="name"/> (for an imported graph: the graph as cut).</summary>
    public Module<Tensor, Tensor> StepModule(string name) => _stepModules[name];

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        int frozen = FrozenPrefixLength();
        var x = input;
        if (frozen > 0)
        {
            using (no_grad())
            {
                x = RunSteps(x, 0, frozen);
            }
        }
        x = RunSteps(x, frozen, _steps.Count);
        return head.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>The backbone's output (the head's input).</summary>
    public Tensor ForwardFeatures(Tensor input) => RunSteps(input, 0, _steps.Count);

    /// <summary>Runs backbone steps [<paramref name="from"/>, <paramref name="to"/>) and nothing else.</summary>
    public Tensor RunSteps(Tensor input, int from, int to)
    {
        var x = input;
        for (int i = from; i < to; i++)
        {
            var step = _steps[i];
            var next = step.Run(x, name => _stepModules[name]);
            // A step's output is only the next step's input: let it go now rather than at the end of the caller's
            // dispose scope (autograd keeps what backward needs), so a forward holds about two activations, not all.
            if (!ReferenceEquals(x, input) && !ReferenceEquals(x, next))
            {
                x.Dispose();
            }
            x = next;
        }
        return x;
    }

    /// <summary>Runs the rest of the backbone from step <paramref name="from"/> and the head.</summary>
    public Tensor ForwardFrom(Tensor intermediate, int from)
    {
        using var scope = NewDisposeScope();
        return head.call(RunSteps(intermediate, from, _steps.Count)).MoveToOuterDisposeScope();
    }

    /// <summary>How many leading backbone steps have no trainable parameter (they run under no_grad).</summary>
    public int FrozenPrefixLength()
    {
        int n = 0;
        foreach (var step in _steps)
        {
            if (step.Kind == LayoutStepKind.Child && _stepModules[step.Name].parameters().Any(p => p.requires_grad))
            {
                break;
            }
            n++;
        }
        return n;
    }

    /// <summary>True when the first <paramref name="steps"/> steps compute the same output in train mode as in eval
    /// mode (every module in them held in eval, or parameter-free and deterministic), so their outputs can be cached.</summary>
    public bool IsPrefixDeterministic(int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            var step = _steps[i];
            if (step.Kind != LayoutStepKind.Child)
            {
                continue;
            }
            bool graph = _graphSteps.Contains(step.Name);
            foreach (var (name, module) in _stepModules[step.Name].named_modules().Prepend(("", _stepModules[step.Name])))
            {
                if (graph && name.Length == 0)
                {
                    continue; // the graph itself is not a registered module; its layers are
                }
                string full = graph ? name : name.Length == 0 ? step.Name : $"{step.Name}.{name}";
                bool stochastic = module is TorchSharp.Modules.BatchNorm or TorchSharp.Modules.Dropout or TorchSharp.Modules.Dropout2d or TorchSharp.Modules.AlphaDropout;
                if (stochastic && !_heldInEval.Contains(full))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>Freezes the modules the rule matches (and their descendants) and applies its BatchNorm policy.</summary>
    /// <returns>How many parameters (tensors) the rule froze.</returns>
    public int Freeze(FreezeRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        int frozen = 0;
        foreach (var (name, module) in Covered(rule.Matches))
        {
            bool isBatchNorm = module is TorchSharp.Modules.BatchNorm;
            bool affineTrains = AffineTrainsWhenFrozen(module, rule);
            foreach (var p in module.parameters(recurse: false))
            {
                p.requires_grad = affineTrains;
                frozen += affineTrains ? 0 : 1;
            }
            bool hold = rule.BatchNorm switch
            {
                BatchNormPolicy.Eval => true,                // the whole frozen part runs as at inference
                BatchNormPolicy.TrainAffine => isBatchNorm,  // statistics frozen, affine trains
                BatchNormPolicy.Train => false,              // BatchNorm trains fully
                _ => throw new SurgeryException($"freeze rule '{rule.Description}': unknown BatchNorm policy {rule.BatchNorm}."),
            };
            if (hold)
            {
                _heldInEval.Add(name);
                module.eval();
            }
        }
        return frozen;
    }

    /// <summary>Makes the modules <paramref name="matches"/> accepts trainable again (gradual unfreezing).</summary>
    /// <returns>How many parameters (tensors) became trainable.</returns>
    public int Unfreeze(Func<string, bool> matches)
    {
        int count = 0;
        foreach (var (name, module) in Covered(matches))
        {
            foreach (var p in module.parameters(recurse: false))
            {
                count += p.requires_grad ? 0 : 1;
                p.requires_grad = true;
            }
            if (_heldInEval.Remove(name))
            {
                module.train(training);
            }
        }
        return count;
    }

    /// <summary>
    /// The parameters that are trainable now or become trainable at some point when the given phases' unfreeze and
    /// freeze steps are applied in order. Changes nothing: the model's trainability is simulated, not set.
    /// </summary>
    /// <remarks>The optimizer is built over these only: a parameter no phase trains needs no optimizer state (for
    /// AdamW two zero tensors its size, ~90 MB for a frozen ResNet-18) and no place in a checkpoint.</remarks>
    internal IReadOnlySet<string> TrainableAcross(IEnumerable<(IReadOnlyList<Func<string, bool>> Unfreeze, IReadOnlyList<FreezeRule> Freeze)> phases)
    {
        var all = named_parameters().ToList();
        var trainable = all.ToDictionary(p => p.parameter.Handle, p => p.parameter.requires_grad);
        var ever = all.Where(p => p.parameter.requires_grad).Select(p => p.parameter.Handle).ToHashSet();
        foreach (var (unfreeze, freeze) in phases)
        {
            foreach (var matches in unfreeze)
            {
                foreach (var (_, module) in Covered(matches))
                {
                    foreach (var p in module.parameters(recurse: false))
                    {
                        trainable[p.Handle] = true;
                    }
                }
            }
            foreach (var rule in freeze)
            {
                foreach (var (_, module) in Covered(rule.Matches))
                {
                    bool affineTrains = AffineTrainsWhenFrozen(module, rule);
                    foreach (var p in module.parameters(recurse: false))
                    {
                        trainable[p.Handle] = affineTrains;
                    }
                }
            }
            ever.UnionWith(trainable.Where(t => t.Value).Select(t => t.Key));
        }
        return all.Where(p => ever.Contains(p.parameter.Handle)).Select(p => p.name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Whether the module <paramref name="name"/> is held in eval mode by a freeze rule.</summary>
    public bool IsHeldInEval(string name) => _heldInEval.Contains(name);

    /// <inheritdoc/>
    public override void train(bool train = true)
    {
        base.train(train);
        foreach (var name in _heldInEval)
        {
            _modulesByName[name].eval();
        }
    }

    /// <summary>A frozen BatchNorm keeps training its scale and shift unless its policy is <c>eval</c>.</summary>
    private static bool AffineTrainsWhenFrozen(Module module, FreezeRule rule) =>
        module is TorchSharp.Modules.BatchNorm && rule.BatchNorm != BatchNormPolicy.Eval;

    /// <summary>Every module (by full name) that <paramref name="matches"/> accepts, or that lies under one it accepts.</summary>
    internal IEnumerable<(string Name, Module Module)> Covered(Func<string, bool> matches)
    {
        var roots = _modulesByName.Keys.Where(n => n.Length > 0 && matches(n)).ToList();
        foreach (var (name, module) in _modulesByName)
        {
            if (name.Length > 0 && roots.Any(r => name == r || name.StartsWith(r + ".", StringComparison.Ordinal)))
            {
                yield return (name, module);
            }
        }
    }
}
