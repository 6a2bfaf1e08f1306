using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Validation;

namespace TLDsl.Runtime.Pipelines;

/// <summary>
/// Checks the training plan a session is about to use against the limits validation applies to the pipeline
/// (<see cref="KeyLimits"/>, read from the same key table). A plan built from a valid pipeline always passes; the check
/// is for values set in code, through a generated trainer's options or <see cref="TrainingOverrides.Customize"/>, which
/// no validation sees: batch 0 or 2,147,483,647, a rate of 1e39 or NaN, negative epochs.
/// </summary>
internal static class TrainingPlanLimits
{
    private const string Where = "a training setting made in code (a generated trainer's options or TrainingOverrides.Customize)";

    /// <summary>Throws a <see cref="PipelineException"/> naming the first setting out of range and what is allowed.</summary>
    /// <param name="plan">The final plan.</param>
    /// <param name="labels">How many labels the pipeline has (one class weight each).</param>
    /// <param name="channels">Channels of an input batch.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    public static void Check(TrainingPlan plan, int labels, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Number("Seed", "train.seed", plan.Seed);
        Number("BatchSize", "train.batch", plan.BatchSize);
        Number("Accumulate", "train.accumulate", plan.Accumulate);
        if ((long)plan.BatchSize * plan.Accumulate > KeyLimits.MaxEffectiveBatch)
        {
            Fail("BatchSize × Accumulate (train.batch × train.accumulate, the effective batch)", "at most " + I(KeyLimits.MaxEffectiveBatch),
                I(plan.BatchSize) + " × " + I(plan.Accumulate));
        }

        if ((long)plan.BatchSize * channels * height * width > KeyLimits.MaxBatchValues)
        {
            Fail("BatchSize × channels × input height × width (one input batch)", "at most " + I(KeyLimits.MaxBatchValues) + " values (8 GiB of float32)",
                I(plan.BatchSize) + " × " + I(channels) + " × " + I(height) + " × " + I(width));
        }

        CheckOptimizer(plan.Optimizer);
        if (plan.Ema is { } ema)
        {
            Number("Ema.Decay", "train.ema.decay", ema.Decay);
        }

        Number("LabelSmoothing", "train.loss.cross_entropy.label_smoothing", plan.LabelSmoothing);
        if (plan.ClassWeights is { } weights)
        {
            if (weights.Count != labels)
            {
                Fail("ClassWeights (train.loss.cross_entropy.class_weights)", "one weight per label (" + I(labels) + ")", I(weights.Count) + " weights");
            }

            for (var i = 0; i < weights.Count; i++)
            {
                Number("ClassWeights[" + I(i) + "]", "train.loss.cross_entropy.class_weights", weights[i]);
            }
        }

        if (plan.ClipGradNorm is { } clip)
        {
            Number("ClipGradNorm", "train.clip_grad_norm", clip);
        }

        CheckPhases(plan.Phases);
        if (plan.EarlyStopping is { } early)
        {
            Word("EarlyStopping.Metric", "train.early_stopping.metric", early.Metric);
            Number("EarlyStopping.Patience", "train.early_stopping.patience", early.Patience);
            Number("EarlyStopping.MinDelta", "train.early_stopping.min_delta", early.MinDelta);
        }

        if (!Enum.IsDefined(plan.Checkpoint.Keep))
        {
            Fail("Checkpoint.Keep (train.checkpoint.keep)", "Best, Last or All", plan.Checkpoint.Keep.ToString());
        }

        Number("Checkpoint.EveryEpochs", "train.checkpoint.every", plan.Checkpoint.EveryEpochs);
        if (plan.Checkpoint.Metric is { } metric)
        {
            Word("Checkpoint.Metric", "train.early_stopping.metric", metric);
        }

        // Not pipeline keys, but a negative value would silently mean the default.
        if (plan.Threads < 0)
        {
            Fail("Threads", "0 (libtorch's default) or more", I(plan.Threads));
        }

        if (plan.CacheMemoryBytes < 0)
        {
            Fail("CacheMemoryBytes", "0 or more", plan.CacheMemoryBytes.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void CheckOptimizer(OptimizerPlan optimizer)
    {
        var key = "train.optimizer." + optimizer.Kind switch
        {
            OptimizerKind.Sgd => "sgd",
            OptimizerKind.Adam => "adam",
            OptimizerKind.AdamW => "adamw",
            _ => throw new PipelineException($"{Where}: Optimizer.Kind must be Sgd, Adam or AdamW, got {optimizer.Kind}."),
        };
        Number("Optimizer.LearningRate", key + ".lr", optimizer.LearningRate);
        Number("Optimizer.WeightDecay", key + ".weight_decay", optimizer.WeightDecay);
        if (optimizer.Kind == OptimizerKind.Sgd)
        {
            Number("Optimizer.Momentum", key + ".momentum", optimizer.Momentum);
        }
        else
        {
            Number("Optimizer.Beta1", key + ".betas", optimizer.Beta1);
            Number("Optimizer.Beta2", key + ".betas", optimizer.Beta2);
            Number("Optimizer.Eps", key + ".eps", optimizer.Eps);
        }
    }

    private static void CheckPhases(IReadOnlyList<PhasePlan> phases)
    {
        if (phases is null || phases.Count == 0)
        {
            Fail("Phases (train.phases)", "at least one phase", "none");
        }

        long total = 0;
        for (var i = 0; i < phases!.Count; i++)
        {
            var phase = phases[i];
            var name = "Phases[" + I(i) + "].";
            Number(name + "Epochs", "train.phases.epochs", phase.Epochs);
            total += phase.Epochs;
            if (phase.LearningRate is { } lr)
            {
                Number(name + "LearningRate", "train.phases.lr", lr);
            }

            foreach (var rule in phase.LearningRates)
            {
                Number(name + "LearningRates['" + rule.Pattern + "']", "train.phases.lr", rule.LearningRate);
            }

            const string schedule = "train.phases.schedule.";
            switch (phase.Schedule)
            {
                case ConstantSchedule:
                    break;
                case StepSchedule step:
                    Number(name + "Schedule.StepEpochs", schedule + "step.step_size", step.StepEpochs);
                    Number(name + "Schedule.Gamma", schedule + "step.gamma", step.Gamma);
                    break;
                case CosineSchedule cosine:
                    Number(name + "Schedule.WarmupEpochs", schedule + "cosine.warmup_epochs", cosine.WarmupEpochs);
                    Number(name + "Schedule.WarmupSteps", schedule + "cosine.warmup_steps", cosine.WarmupSteps);
                    // min_lr / the phase's rate: no key of its own; a negative or non-finite factor makes every rate so.
                    Finite(name + "Schedule.MinFactor", cosine.MinFactor, 0);
                    break;
                case OneCycleSchedule cycle:
                    Number(name + "Schedule.PctStart", schedule + "one_cycle.pct_start", cycle.PctStart);
                    Finite(name + "Schedule.DivFactor", cycle.DivFactor, null);
                    Finite(name + "Schedule.FinalDivFactor", cycle.FinalDivFactor, null);
                    break;
                default:
                    throw new PipelineException($"{Where}: {name}Schedule {phase.Schedule?.GetType().Name ?? "null"} is not a schedule this runtime knows (constant, step, cosine, one_cycle).");
            }
        }

        if (total > KeyLimits.MaxTotalEpochs)
        {
            Fail("the epochs of all phases together (train.phases)", "at most " + I(KeyLimits.MaxTotalEpochs), total.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Number(string setting, string key, double value)
    {
        if (!KeyLimits.Allows(key, value))
        {
            Fail(setting + " (" + key + ")", KeyLimits.Expectation(key), Format(value));
        }
    }

    private static void Word(string setting, string key, string value)
    {
        var words = KeyLimits.Words(key);
        if (!words.Contains(value, StringComparer.Ordinal))
        {
            Fail(setting + " (" + key + ")", "one of " + string.Join(", ", words), "'" + value + "'");
        }
    }

    // Factors without a key: finite, and >= min (null: > 0).
    private static void Finite(string setting, double value, double? min)
    {
        if (!double.IsFinite(value) || (min is { } least ? value < least : value <= 0))
        {
            Fail(setting, min is { } least2 ? "a finite number >= " + Format(least2) : "a finite number > 0", Format(value));
        }
    }

    private static void Fail(string setting, string allowed, string got) =>
        throw new PipelineException($"{Where}: {setting} must be {allowed}, got {got}.");

    // 1e39 as the key table's messages write numbers, not 1E+39.
    private static string Format(double value) =>
        value.ToString("R", CultureInfo.InvariantCulture).Replace("E+", "e", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
