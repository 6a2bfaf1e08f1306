using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training.Optimizers;

/// <summary>TorchSharp's AdamW (decoupled weight decay) with each parameter's update in its own dispose scope
/// (<see cref="ParameterUpdates"/>); the arithmetic is TorchSharp's, operation for operation.</summary>
internal sealed class ScopedAdamW : AdamW
{
    public ScopedAdamW(IEnumerable<ParamGroup> groups, double learningRate) : base(groups, learningRate)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        double weightDecay = options.weight_decay!.Value;
        var moments = new AdamMoments(options.beta1!.Value, options.beta2!.Value, options.eps!.Value, options.amsgrad!.Value);
        bool maximize = options.maximize!.Value;
        double rate = options.LearningRate!.Value;
        ParameterUpdates.Each(group.Parameters, (parameter, grad) =>
        {
            var state = (State)_state[parameter.Handle];
            if (maximize)
            {
                grad = -grad;
            }
            state.step += 1;
            parameter.mul_(1 - rate * weightDecay);
            var (denominator, stepSize) = moments.Update(state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq, grad, rate);
            parameter.addcdiv_(state.exp_avg, denominator, value: -stepSize);
        });
    }, closure);
}
