using System;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Registries;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>The pipeline's adam/adamw <c>eps</c> was parsed, validated and documented, then dropped: the optimizer always
/// used 1e-8.</summary>
public sealed class OptimizerEpsTests
{
    [Theory]
    [InlineData("adam", OptimizerKind.Adam)]
    [InlineData("adamw", OptimizerKind.AdamW)]
    public void The_pipelines_eps_reaches_the_plan(string optimizer, OptimizerKind kind)
    {
        string yaml = $$"""
            version: 1
            base: { model: small_cnn, weights: none, drop: classifier }
            labels: [a, b]
            head: [linear: labels]
            train: { optimizer: { {{optimizer}}: { lr: 0.1, eps: 0.25 } }, epochs: 1 }
            """;
        var plan = PipelineInterpreter.TrainingPlan(PipelineFile.Parse(yaml, "eps.tl.yaml").Spec).Optimizer;
        Assert.Equal(kind, plan.Kind);
        Assert.Equal(0.25, plan.Eps);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void The_first_adam_step_divides_by_the_gradients_size_plus_eps(OptimizerKind kind)
    {
        // Step 1 of Adam moves a parameter by lr × g / (|g| + eps) (both moments bias-corrected to g and g²).
        const double lr = 0.1, g = 1e-3;
        foreach (var eps in new[] { 1.0, 1e-8 })
        {
            using var parameter = new TorchSharp.Modules.Parameter(zeros(1));
            using var optimizer = new RunOptimizer([("p", parameter)], new OptimizerPlan(kind, lr, WeightDecay: 0, Eps: eps));
            using (var loss = (parameter * (float)g).sum())
            {
                loss.backward();
            }

            optimizer.Optimizer.step();
            Assert.Equal(-lr * g / (g + eps), parameter.item<float>(), 1e-6);
        }
    }

    [Fact]
    public void A_non_default_eps_is_part_of_the_recorded_plan_and_the_default_keeps_old_records()
    {
        static TrainingPlan Plan(double eps) => new(0, 8, 1, new OptimizerPlan(OptimizerKind.AdamW, 1e-3, Eps: eps), 0, null, null,
            [new PhasePlan("p", 1, [], [], [], null, new ConstantSchedule())], null, new CheckpointPlan());
        Assert.Equal("AdamW lr 0.001 weight_decay 0 momentum 0.9 nesterov False betas 0.9/0.999", PlanRecord.Of(Plan(1e-8))["optimizer"]);
        Assert.Equal("AdamW lr 0.001 weight_decay 0 momentum 0.9 nesterov False betas 0.9/0.999 eps 0.001", PlanRecord.Of(Plan(1e-3))["optimizer"]);
    }
}
