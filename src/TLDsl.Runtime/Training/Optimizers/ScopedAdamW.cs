using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training.Optimizers;

/// <summary>TorchSharp's AdamW (decoupled weight decay) with each parameter's update in its own dispose
/// scope (<see cref="ParameterUpdates"/>); the arithmetic is TorchSharp's (<see cref="AdamUpdate"/>).</summary>
internal sealed class ScopedAdamW : AdamW
{
    public ScopedAdamW(IEnumerable<ParamGroup> groups, double learningRate) : base(groups, learningRate)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = group.Options;
        var update = new AdamUpdate(o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.weight_decay!.Value,
            Decoupled: true, o.amsgrad!.Value, o.maximize!.Value);
        ParameterUpdates.Each(group.Parameters, (parameter, grad) =>
        {
            var state = (State)_state[parameter.Handle];
            update.Apply(parameter, grad, ref state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq);
        });
    }, closure);
}
