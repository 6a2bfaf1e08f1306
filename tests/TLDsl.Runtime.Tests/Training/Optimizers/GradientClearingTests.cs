using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Registries;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training.Optimizers;

/// <summary>A step drops the gradients (PyTorch's <c>zero_grad(set_to_none=True)</c>) instead of zeroing them: between
/// a step and the next backward they take no memory (ResNet-18's layer4 gradients are 52 MiB), and training is the same
/// bit for bit.</summary>
public sealed class GradientClearingTests
{
    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void A_step_leaves_no_gradient_and_trains_as_zeroing_does(OptimizerKind kind)
    {
        var (cleared, clearedModel) = Model();
        var (zeroed, zeroedModel) = Model();
        using var disposeCleared = clearedModel;
        using var disposeZeroed = zeroedModel;
        var plan = new OptimizerPlan(kind, 0.05, WeightDecay: 1e-2);
        using var clearing = new RunOptimizer(cleared.Select((p, i) => ($"p{i}", p)), plan);
        using var zeroing = new RunOptimizer(zeroed.Select((p, i) => ($"p{i}", p)), plan);
        for (int step = 0; step < 4; step++)
        {
            manual_seed(step);
            using var x = randn(8, 1, 28, 28);
            using (var scope = NewDisposeScope())
            {
                clearedModel.call(x).pow(2).mean().backward();
                zeroedModel.call(x).pow(2).mean().backward();
            }
            TrainingStep.Update(clearedModel, clearing, clipGradNorm: 1.0);
            using (var scope = NewDisposeScope())
            {
                nn.utils.clip_grad_norm_(zeroed, 1.0);
                zeroing.Optimizer.step();
                zeroing.Optimizer.zero_grad();
            }
            Assert.All(cleared, p => Assert.Null(p.grad));
            Assert.All(zeroed, p => Assert.NotNull(p.grad));
            for (int i = 0; i < cleared.Length; i++)
            {
                Assert.True(cleared[i].eq(zeroed[i]).all().item<bool>(), $"{kind} step {step}: parameter {i} differs");
            }
        }
    }

    private static (Parameter[] Parameters, TransferModel Model) Model()
    {
        manual_seed(7);
        var model = TransferModelBuilder.Build(new TransferModelPlan(ModelZoo.Get("small_cnn"), WeightsSource.None, ["classifier"], null,
            [new HeadLayer(HeadLayerKind.Linear, 3)], [], (28, 28)));
        return (model.parameters().ToArray(), model);
    }
}
