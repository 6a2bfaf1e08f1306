using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training.Optimizers;

/// <summary>One parameter's Adam or AdamW update as TorchSharp computes it, operation for operation: the running
/// averages move towards the gradient and its square, and the parameter moves by the bias-corrected ratio. Adam adds
/// the weight decay to the gradient; AdamW (<paramref name="Decoupled"/>) shrinks the parameter instead.</summary>
internal readonly record struct AdamUpdate(double Rate, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled,
    bool AmsGrad, bool Maximize)
{
    /// <summary>Updates <paramref name="parameter"/> and its state in place; temporaries go to the caller's scope.</summary>
    public void Apply(Parameter parameter, Tensor grad, ref long step, Tensor average, Tensor averageSquare, ref Tensor? maxAverageSquare)
    {
        if (Maximize)
        {
            grad = -grad;
        }
        step += 1;
        if (Decoupled)
        {
            parameter.mul_(1 - Rate * WeightDecay);
        }
        else if (WeightDecay != 0)
        {
            grad = grad.add(parameter, alpha: WeightDecay);
        }
        double correction1 = 1 - Math.Pow(Beta1, step);
        double correction2 = 1 - Math.Pow(Beta2, step);
        average.mul_(Beta1).add_(grad, alpha: 1 - Beta1);
        averageSquare.mul_(Beta2).addcmul_(grad, grad, value: 1 - Beta2);
        var second = averageSquare;
        if (AmsGrad)
        {
            var previous = maxAverageSquare!;
            maxAverageSquare = maximum(previous, averageSquare).DetachFromDisposeScope();
            previous.Dispose();
            second = maxAverageSquare;
        }
        var denominator = (second.sqrt() / Math.Sqrt(correction2)).add_(Eps);
        parameter.addcdiv_(average, denominator, value: -(Rate / correction1));
    }
}
