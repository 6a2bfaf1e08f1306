using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Training;

/// <summary><c>lr_decay</c> reaches the optimizer: every parameter group gets its stage's decayed rate (issue #17).</summary>
public sealed class LayerDecayRatesTests
{
    private const string Pipeline = """
        version: 1
        base: { model: small_cnn, weights: none, drop: classifier }
        input: { channels: 1, normalize: none }
        labels: [a, b, c]
        head: [linear: 16, relu, linear: labels]
        train:
          optimizer: { sgd: { lr: 0.1 } }
          phases:
            - { epochs: 1, lr_decay: 0.5, lr: { conv1: 0.003 } }
        """;

    [Fact]
    public void Each_parameter_group_gets_its_stages_rate_computed_by_hand()
    {
        TorchNative.EnsureLoaded();
        var file = PipelineFile.Parse(Pipeline, Path.Combine(Path.GetTempPath(), "decay.tl.yaml"));
        var labels = PipelineInterpreter.Labels(file);
        var plan = PipelineInterpreter.TrainingPlan(file.Spec);
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, labels), file.Spec.Name);
        using var optimizer = new RunOptimizer(model.named_parameters(), plan.Optimizer);
        var phase = plan.Phases[0];
        optimizer.SetRates(Trainer.BaseRates(phase, plan.Optimizer, optimizer.Names), 1.0);

        // small_cnn's stages from the head down: [conv3, bn3, relu3], [conv2, bn2, relu2, pool2], [conv1, bn1, relu1, pool1].
        // The phase has no rate of its own, so the base is the optimizer's 0.1; conv1 has a written rate, which wins.
        static double Expected(string parameter) => parameter.Split('.')[0] switch
        {
            "head" => 0.1,
            "conv3" or "bn3" => 0.1 * 0.5,
            "conv2" or "bn2" => 0.1 * 0.5 * 0.5,
            "conv1" => 0.003,
            "bn1" => 0.1 * 0.5 * 0.5 * 0.5,
            var other => throw new InvalidOperationException("unexpected parameter " + parameter + " of " + other),
        };
        var groups = optimizer.Optimizer.ParamGroups.ToList();
        Assert.Equal(optimizer.Names.Count, groups.Count);
        Assert.Contains(optimizer.Names, n => n.StartsWith("bn1.", StringComparison.Ordinal));
        for (int i = 0; i < groups.Count; i++)
        {
            Assert.True(Math.Abs(Expected(optimizer.Names[i]) - groups[i].LearningRate) < 1e-15,
                $"{optimizer.Names[i]}: rate {groups[i].LearningRate}, expected {Expected(optimizer.Names[i])}");
        }
        // Recorded as explicit rates in the run's plan.json.
        string record = PlanRecord.Of(plan)["phases[0]"];
        Assert.Contains("conv1=0.003 conv3=0.05 bn3=0.05 relu3=0.05 conv2=0.025", record, StringComparison.Ordinal);
    }
}
