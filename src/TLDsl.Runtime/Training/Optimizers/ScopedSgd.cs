using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training.Optimizers;

/// <summary>TorchSharp's SGD with each parameter's update in its own dispose scope (<see cref="ParameterUpdates"/>);
/// the arithmetic is TorchSharp's, operation for operation, so steps, state and checkpoints are the same.</summary>
internal sealed class ScopedSgd : SGD
{
    public ScopedSgd(IEnumerable<ParamGroup> groups, double learningRate) : base(groups, learningRate)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        double momentum = options.momentum!.Value;
        double dampening = options.dampening!.Value;
        double weightDecay = options.weight_decay!.Value;
        bool nesterov = options.nesterov!.Value;
        double rate = options.LearningRate!.Value;
        double alpha = options.maximize!.Value ? rate : -rate;
        ParameterUpdates.Each(group.Parameters, (parameter, grad) =>
        {
            var state = (State)_state[parameter.Handle];
            if (weightDecay != 0)
            {
                grad = grad.add(parameter, alpha: weightDecay);
            }
            if (momentum != 0)
            {
                var buffer = state.momentum_buffer;
                if (buffer is null)
                {
                    buffer = grad.clone().detach().DetachFromDisposeScope();
                    state.momentum_buffer = buffer;
                }
                else
                {
                    buffer.mul_(momentum).add_(grad, alpha: 1 - dampening);
                }
                grad = nesterov ? grad.add(buffer, alpha: momentum) : buffer;
            }
            parameter.add_(grad, alpha: alpha);
        });
    }, closure);
}
