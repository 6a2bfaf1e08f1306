using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Training;
using TLDsl.Runtime.Training.Optimizers;
using TLDsl.Spec.Registries;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training.Optimizers;

/// <summary>The run's optimizers are TorchSharp's with each parameter's update in its own dispose scope: the same
/// parameters and state bit for bit, and no parameter's temporaries alive once it is updated (issue #18: TorchSharp
/// kept every parameter's until the step ended, twice the trained weights at the peak).</summary>
public sealed class ScopedOptimizerTests
{
    public static TheoryData<OptimizerKind, double, double, bool> Settings() => new()
    {
        { OptimizerKind.Sgd, 0.9, 1e-2, false },
        { OptimizerKind.Sgd, 0.9, 1e-2, true },
        { OptimizerKind.Sgd, 0, 0, false },
        { OptimizerKind.Adam, 0.9, 1e-2, false },
        { OptimizerKind.Adam, 0.9, 0, false },
        { OptimizerKind.AdamW, 0.9, 5e-2, false },
        { OptimizerKind.AdamW, 0.9, 0, false },
    };

    [Fact]
    public void Every_optimizer_kind_is_covered() =>
        Assert.Equal(Enum.GetValues<OptimizerKind>().Order(), Settings().Select(row => (OptimizerKind)row[0]).Distinct().Order());

    [Theory]
    [MemberData(nameof(Settings))]
    public void Steps_match_TorchSharps_own_optimizer_bit_for_bit(OptimizerKind kind, double momentum, double weightDecay, bool nesterov)
    {
        var plan = new OptimizerPlan(kind, 0.05, weightDecay, momentum, nesterov, Eps: 1e-6);
        var ours = Parameters(seed: 1);
        var theirs = Parameters(seed: 1);
        using var run = new RunOptimizer(ours.Select((p, i) => ($"p{i}", p)), plan);
        using var reference = Reference(kind, theirs, plan);
        Assert.NotSame(reference.GetType(), run.Optimizer.GetType());
        for (int step = 0; step < 6; step++)
        {
            // The same gradients on both sides; the last parameter has none from step 3 on (frozen), and is skipped.
            manual_seed(100 + step);
            for (int i = 0; i < ours.Count; i++)
            {
                bool frozen = i == ours.Count - 1 && step >= 3;
                var grad = randn(ours[i].shape);
                ours[i].grad = frozen ? null : grad.clone();
                theirs[i].grad = frozen ? null : grad.clone();
            }
            run.Optimizer.step();
            reference.step();
            for (int i = 0; i < ours.Count; i++)
            {
                Assert.True(ours[i].eq(theirs[i]).all().item<bool>(), $"{kind} step {step}: parameter {i} differs by {(ours[i] - theirs[i]).abs().max().item<float>():G3}");
            }
        }
        var state = run.Optimizer.state_dict().State;
        var expected = reference.state_dict().State;
        Assert.Equal(expected.Count, state.Count);
        for (int i = 0; i < state.Count; i++)
        {
            Assert.Equal(Bytes(expected[i]), Bytes(state[i]));
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void No_temporaries_outlive_a_parameters_update(OptimizerKind kind)
    {
        var parameters = Parameters(seed: 2);
        using var run = new RunOptimizer(parameters.Select((p, i) => ($"p{i}", p)), new OptimizerPlan(kind, 0.01, WeightDecay: 1e-2, Nesterov: true));
        var live = new List<long>();
        ParameterUpdates.Updated = () => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        try
        {
            // Step 0 creates SGD's momentum buffers (state, kept); the steps after it allocate only temporaries.
            for (int step = 0; step < 4; step++)
            {
                using var scope = NewDisposeScope();
                foreach (var p in parameters)
                {
                    p.grad = randn(p.shape);
                }
                live.Clear();
                run.Optimizer.step();
                if (step == 0)
                {
                    continue;
                }
                // Every parameter was updated, and the same number of tensors was alive after each: none of the
                // update's temporaries (2 per parameter for Adam) piled up.
                Assert.Equal(parameters.Count, live.Count);
                Assert.All(live, count => Assert.Equal(live[0], count));
            }
        }
        finally
        {
            ParameterUpdates.Updated = null;
        }
    }

    private static List<Parameter> Parameters(int seed)
    {
        manual_seed(seed);
        return [new Parameter(randn(16, 8)), new Parameter(randn(8)), new Parameter(randn(4, 3, 3, 3)), new Parameter(randn(5))];
    }

    private static OptimizerHelper Reference(OptimizerKind kind, List<Parameter> parameters, OptimizerPlan plan)
    {
        // TLDsl's groups: one per parameter, no weight decay on vectors (RunOptimizer's rule).
        double Decay(Parameter p) => p.dim() <= 1 ? 0 : plan.WeightDecay;
        return kind switch
        {
            OptimizerKind.Sgd => optim.SGD(parameters.Select(p => new SGD.ParamGroup([p], new SGD.Options
            {
                LearningRate = plan.LearningRate, momentum = plan.Momentum, nesterov = plan.Nesterov, dampening = 0, weight_decay = Decay(p), maximize = false,
            })), plan.LearningRate),
            OptimizerKind.Adam => optim.Adam(parameters.Select(p => new Adam.ParamGroup([p], new Adam.Options
            {
                LearningRate = plan.LearningRate, beta1 = plan.Beta1, beta2 = plan.Beta2, eps = plan.Eps, weight_decay = Decay(p), amsgrad = false, maximize = false,
            })), plan.LearningRate),
            OptimizerKind.AdamW => optim.AdamW(parameters.Select(p => new AdamW.ParamGroup([p], new AdamW.Options
            {
                LearningRate = plan.LearningRate, beta1 = plan.Beta1, beta2 = plan.Beta2, eps = plan.Eps, weight_decay = Decay(p), amsgrad = false, maximize = false,
            })), plan.LearningRate),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static byte[] Bytes(OptimizerState state)
    {
        using var stream = new System.IO.MemoryStream();
        using (var writer = new System.IO.BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            state.SaveStateDict(writer);
        }
        return stream.ToArray();
    }
}
