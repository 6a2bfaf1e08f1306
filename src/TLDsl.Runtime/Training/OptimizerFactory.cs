using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Training.Optimizers;
using TLDsl.Spec.Registries;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>Builds one optimizer for the whole run with one parameter group per parameter, so every phase can give
/// every parameter its own rate (discriminative learning rates) while the optimizer state carries over between phases.
/// It holds the parameters some phase trains; while one is frozen it has no gradient and the step skips it.</summary>
internal sealed class RunOptimizer : IDisposable
{
    private readonly List<(string Name, optim.ILearningRateController Group)> _groups = [];

    public RunOptimizer(IEnumerable<(string Name, Parameter Parameter)> parameters, OptimizerPlan plan)
    {
        var list = parameters.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("no parameter trains; the pipeline's validation (TLD0024) should have said so.", nameof(parameters));
        }
        Names = list.Select(p => p.Name).ToList();
        // Checkpoints name the state by TorchSharp's optimizer class, as they did before the scoped subclasses.
        (Optimizer, StateKind) = plan.Kind switch
        {
            OptimizerKind.Sgd => ((OptimizerHelper)new ScopedSgd(list.Select(p => new SGD.ParamGroup([p.Parameter], new SGD.Options
            {
                LearningRate = plan.LearningRate, momentum = plan.Momentum, nesterov = plan.Nesterov,
                dampening = 0, weight_decay = Decay(p, plan), maximize = false,
            })), plan.LearningRate), nameof(SGD)),
            OptimizerKind.Adam => (new ScopedAdam(list.Select(p => new Adam.ParamGroup([p.Parameter], new Adam.Options
            {
                LearningRate = plan.LearningRate, beta1 = plan.Beta1, beta2 = plan.Beta2, eps = plan.Eps,
                weight_decay = Decay(p, plan), amsgrad = false, maximize = false,
            })), plan.LearningRate), nameof(Adam)),
            OptimizerKind.AdamW => (new ScopedAdamW(list.Select(p => new AdamW.ParamGroup([p.Parameter], new AdamW.Options
            {
                LearningRate = plan.LearningRate, beta1 = plan.Beta1, beta2 = plan.Beta2, eps = plan.Eps,
                weight_decay = Decay(p, plan), amsgrad = false, maximize = false,
            })), plan.LearningRate), nameof(AdamW)),
            _ => throw new ArgumentOutOfRangeException(nameof(plan), plan.Kind, "not an optimizer this runtime can build."),
        };
        var groups = Optimizer.ParamGroups.ToList();
        for (int i = 0; i < groups.Count; i++)
        {
            _groups.Add((Names[i], groups[i]));
        }
    }

    public OptimizerHelper Optimizer { get; }

    public IReadOnlyList<string> Names { get; }

    /// <summary>The optimizer's name in checkpoint files: TorchSharp's class (<c>SGD</c>, <c>Adam</c>, <c>AdamW</c>).</summary>
    public string StateKind { get; }

    /// <summary>Sets each parameter's rate: its base rate for the phase times the schedule factor.</summary>
    public void SetRates(IReadOnlyList<double> baseRates, double factor)
    {
        for (int i = 0; i < _groups.Count; i++)
        {
            _groups[i].Group.LearningRate = baseRates[i] * factor;
        }
    }

    /// <summary>Drops every trained parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>): the next backward
    /// allocates it afresh with the same values, and between a step and that backward the gradients take no memory.</summary>
    public void ClearGradients()
    {
        foreach (var parameter in Optimizer.parameters())
        {
            parameter.grad = null;
        }
    }

    public double RateOf(int index) => _groups[index].Group.LearningRate;

    public void Dispose() => Optimizer.Dispose();

    // Weight decay on biases and normalisation scales hurts more than it helps (timm's default excludes them).
    private static double Decay((string Name, Parameter Parameter) p, OptimizerPlan plan) =>
        p.Parameter.dim() <= 1 ? 0 : plan.WeightDecay;
}
