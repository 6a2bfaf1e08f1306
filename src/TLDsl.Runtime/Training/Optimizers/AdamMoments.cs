using System;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training.Optimizers;

/// <summary>The moment update Adam and AdamW share, as TorchSharp computes it: the running averages move towards the
/// gradient and its square, and the bias-corrected denominator and step size come back.</summary>
internal readonly record struct AdamMoments(double Beta1, double Beta2, double Eps, bool AmsGrad)
{
    /// <summary>Updates the averages in place; the denominator belongs to the caller's dispose scope.</summary>
    public (Tensor Denominator, double StepSize) Update(long step, Tensor average, Tensor averageSquare, ref Tensor? maxAverageSquare, Tensor grad, double rate)
    {
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
        return ((second.sqrt() / Math.Sqrt(correction2)).add_(Eps), rate / correction1);
    }
}
