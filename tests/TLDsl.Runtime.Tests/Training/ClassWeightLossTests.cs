using System;
using System.Linq;
using TLDsl.Runtime.Training;
using Xunit;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>Class weights weight each sample's loss once, as PyTorch's weighted cross-entropy does (they were once
/// applied twice, squaring them).</summary>
public sealed class ClassWeightLossTests
{
    [Fact]
    public void Each_sample_is_weighted_once_by_its_class_weight()
    {
        float[] rows = [2f, 0.5f, -1f, 0.1f, 0.3f, 1.2f, -0.4f, 2.2f, 0f];
        long[] targets = [0, 2, 1];
        float[] weights = [1f, 3f, 0.5f];
        using var scope = NewDisposeScope();
        var loss = TrainingLoss.PerSample(tensor(rows, [3, 3]), tensor(targets), null, tensor(weights), 0).data<float>().ToArray();

        for (int i = 0; i < 3; i++)
        {
            var row = rows.Skip(3 * i).Take(3).Select(v => (double)v).ToArray();
            double logSum = Math.Log(row.Sum(Math.Exp));
            double expected = weights[targets[i]] * (logSum - row[targets[i]]);
            Assert.Equal(expected, loss[i], 5);
        }
    }

    [Fact]
    public void Label_smoothing_weights_each_class_term_by_its_weight()
    {
        // PyTorch: loss_i = (1 - ε) w[y] (-log p[y]) + ε / C Σ_c w[c] (-log p[c]).
        float[] rows = [0.3f, -0.2f, 1.5f];
        float[] weights = [2f, 0.5f, 1f];
        const double smoothing = 0.2;
        using var scope = NewDisposeScope();
        var loss = TrainingLoss.PerSample(tensor(rows, [1, 3]), tensor(new long[] { 1 }), null, tensor(weights), smoothing).data<float>()[0];

        double logSum = Math.Log(rows.Sum(v => Math.Exp(v)));
        double[] nll = rows.Select(v => logSum - v).ToArray();
        double expected = ((1 - smoothing) * weights[1] * nll[1]) + (smoothing / 3 * Enumerable.Range(0, 3).Sum(c => weights[c] * nll[c]));
        Assert.Equal(expected, loss, 5);
    }
}
