using System;
using System.IO;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Tests.Training;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Registries;

namespace TLDsl.Runtime.Tests.Pipelines;

/// <summary>Values set in code (TrainingOverrides.Customize, which a generated trainer's options use) once went
/// straight to the trainer: batch 0, batch 2,147,483,647, a rate of 1e39 or NaN, negative epochs. The session checks
/// the final plan against validation's limits and refuses before any model, data or run folder.</summary>
public sealed class TrainingPlanLimitTests : IDisposable
{
    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    private static TrainingPlan Bad(TrainingPlan plan, string which) => which switch
    {
        "batch 0" => plan with { BatchSize = 0 },
        "batch max" => plan with { BatchSize = int.MaxValue },
        "accumulate" => plan with { Accumulate = -1 },
        "effective batch" => plan with { BatchSize = 65_536, Accumulate = 65_536 },
        "one input batch" => plan with { BatchSize = 65_536 },
        "seed" => plan with { Seed = -1 },
        "lr 1e39" => plan with { Optimizer = plan.Optimizer with { LearningRate = 1e39 } },
        "lr NaN" => plan with { Optimizer = plan.Optimizer with { LearningRate = double.NaN } },
        "lr 0" => plan with { Optimizer = plan.Optimizer with { LearningRate = 0 } },
        "weight decay" => plan with { Optimizer = plan.Optimizer with { WeightDecay = 2 } },
        "beta" => plan with { Optimizer = plan.Optimizer with { Beta2 = 1 } },
        "eps" => plan with { Optimizer = plan.Optimizer with { Eps = 0 } },
        "sgd momentum" => plan with { Optimizer = plan.Optimizer with { Kind = OptimizerKind.Sgd, Momentum = -0.5 } },
        "label smoothing" => plan with { LabelSmoothing = 1 },
        "class weights" => plan with { ClassWeights = [1f, 2f] },
        "class weight" => plan with { ClassWeights = [1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, float.PositiveInfinity] },
        "clip" => plan with { ClipGradNorm = 0 },
        "epochs negative" => plan with { Phases = [plan.Phases[0] with { Epochs = -1 }] },
        "epochs total" => plan with { Phases = [plan.Phases[0] with { Epochs = 100_000 }, plan.Phases[0] with { Epochs = 1 }] },
        "no phases" => plan with { Phases = [] },
        "phase lr" => plan with { Phases = [plan.Phases[0] with { LearningRate = double.PositiveInfinity }] },
        "gamma" => plan with { Phases = [plan.Phases[0] with { Schedule = new StepSchedule(1, 0) }] },
        "one cycle" => plan with { Phases = [plan.Phases[0] with { Schedule = new OneCycleSchedule(DivFactor: double.NaN) }] },
        "patience" => plan with { EarlyStopping = new EarlyStoppingPlan("valid.loss", false, 0) },
        "metric" => plan with { EarlyStopping = new EarlyStoppingPlan("valid.acuracy", true, 3) },
        "checkpoint every" => plan with { Checkpoint = plan.Checkpoint with { EveryEpochs = 0 } },
        "threads" => plan with { Threads = -2 },
        _ => throw new ArgumentOutOfRangeException(nameof(which), which, null),
    };

    [Theory]
    [InlineData("batch 0", "BatchSize (train.batch) must be an integer >= 1 and <= 65536, got 0.")]
    [InlineData("batch max", "BatchSize (train.batch) must be an integer >= 1 and <= 65536, got 2147483647.")]
    [InlineData("accumulate", "Accumulate (train.accumulate) must be an integer >= 1 and <= 65536, got -1.")]
    [InlineData("effective batch", "BatchSize × Accumulate (train.batch × train.accumulate, the effective batch) must be at most 1048576, got 65536 × 65536.")]
    [InlineData("one input batch", "BatchSize × channels × input height × width (one input batch) must be at most 2147483647 values (8 GiB of float32), got 65536 × 3 × 112 × 112.")]
    [InlineData("seed", "Seed (train.seed) must be an integer >= 0, got -1.")]
    [InlineData("lr 1e39", "Optimizer.LearningRate (train.optimizer.adamw.lr) must be a number >= 1e-12 and <= 1e38, got 1e39.")]
    [InlineData("lr NaN", "Optimizer.LearningRate (train.optimizer.adamw.lr) must be a number >= 1e-12 and <= 1e38, got NaN.")]
    [InlineData("lr 0", "Optimizer.LearningRate (train.optimizer.adamw.lr) must be a number >= 1e-12 and <= 1e38, got 0.")]
    [InlineData("weight decay", "Optimizer.WeightDecay (train.optimizer.adamw.weight_decay) must be 0 or a number >= 1e-12 and <= 1, got 2.")]
    [InlineData("beta", "Optimizer.Beta2 (train.optimizer.adamw.betas) must be a number >= 0 and < 1, got 1.")]
    [InlineData("eps", "Optimizer.Eps (train.optimizer.adamw.eps) must be a number >= 1e-30 and <= 1, got 0.")]
    [InlineData("sgd momentum", "Optimizer.Momentum (train.optimizer.sgd.momentum) must be a number >= 0 and < 1, got -0.5.")]
    [InlineData("label smoothing", "LabelSmoothing (train.loss.cross_entropy.label_smoothing) must be a number >= 0 and < 1, got 1.")]
    [InlineData("class weights", "ClassWeights (train.loss.cross_entropy.class_weights) must be one weight per label (10), got 2 weights.")]
    [InlineData("class weight", "ClassWeights[9] (train.loss.cross_entropy.class_weights) must be a number >= 1e-6 and <= 1000000, got Infinity.")]
    [InlineData("clip", "ClipGradNorm (train.clip_grad_norm) must be a number >= 1e-6 and <= 1000000, got 0.")]
    [InlineData("epochs negative", "Phases[0].Epochs (train.phases.epochs) must be an integer >= 1 and <= 100000, got -1.")]
    [InlineData("epochs total", "the epochs of all phases together (train.phases) must be at most 100000, got 100001.")]
    [InlineData("no phases", "Phases (train.phases) must be at least one phase, got none.")]
    [InlineData("phase lr", "Phases[0].LearningRate (train.phases.lr) must be a number >= 1e-12 and <= 1e38, got Infinity.")]
    [InlineData("gamma", "Phases[0].Schedule.Gamma (train.phases.schedule.step.gamma) must be a number >= 1e-6 and <= 1, got 0.")]
    [InlineData("one cycle", "Phases[0].Schedule.DivFactor must be a finite number > 0, got NaN.")]
    [InlineData("patience", "EarlyStopping.Patience (train.early_stopping.patience) must be an integer >= 1 and <= 100000, got 0.")]
    [InlineData("metric", "EarlyStopping.Metric (train.early_stopping.metric) must be one of valid.loss, valid.accuracy, valid.macro_f1, train.loss, train.accuracy, got 'valid.acuracy'.")]
    [InlineData("checkpoint every", "Checkpoint.EveryEpochs (train.checkpoint.every) must be an integer >= 1 and <= 100000, got 0.")]
    [InlineData("threads", "Threads must be 0 (libtorch's default) or more, got -2.")]
    public void A_setting_made_in_code_outside_validations_limits_is_refused_before_any_work(string which, string message)
    {
        string pipeline = _pipelines.Write("Limits", "- { epochs: 2 }", size: 112);
        var overrides = new TrainingOverrides { RunsRoot = _pipelines.Runs, Customize = plan => Bad(plan, which) };
        var e = Assert.Throws<PipelineException>(() => TrainingSession.Start(pipeline, overrides));
        Assert.Equal("a training setting made in code (a generated trainer's options or TrainingOverrides.Customize): " + message, e.Message);
        Assert.False(Directory.Exists(_pipelines.Runs), "a run folder was created for a refused plan");
    }

    [Fact]
    public void The_largest_allowed_settings_pass_and_the_plan_is_the_customized_one()
    {
        string pipeline = _pipelines.Write("Edges", "- { epochs: 2 }");
        var overrides = new TrainingOverrides
        {
            RunsRoot = _pipelines.Runs,
            Customize = plan => plan with
            {
                BatchSize = 65_536,
                Accumulate = 16,
                Optimizer = plan.Optimizer with { LearningRate = 1e38, WeightDecay = 0 },
                Phases = [plan.Phases[0] with { Epochs = 99_999 }, plan.Phases[0] with { Epochs = 1, LearningRate = 1e-12 }],
            },
        };
        using var session = TrainingSession.Start(pipeline, overrides);
        Assert.Equal(65_536, session.Plan.BatchSize);
        Assert.Equal(1e38, session.Plan.Optimizer.LearningRate);
        Assert.Equal(100_000, session.Plan.Phases[0].Epochs + session.Plan.Phases[1].Epochs);
    }

    [Fact]
    public void Resume_checks_the_plan_too()
    {
        string pipeline = _pipelines.Write("ResumeLimits", "- { epochs: 1 }");
        string run;
        using (var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs }))
        {
            run = session.Run.Path;
            session.Train(stopAfterSteps: 1);
        }

        var e = Assert.Throws<PipelineException>(() =>
            TrainingSession.Resume(run, new TrainingOverrides { Customize = plan => plan with { BatchSize = 0 } }));
        Assert.Contains("BatchSize (train.batch) must be an integer >= 1 and <= 65536, got 0.", e.Message, StringComparison.Ordinal);
    }
}
