using System;
using System.Collections.Generic;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;

namespace TLDsl.Runtime.Training;

/// <summary>Optimizer settings; the learning rate here is the default for parameters no phase rule names.</summary>
/// <param name="Kind">Which optimizer.</param>
/// <param name="LearningRate">Default learning rate.</param>
/// <param name="WeightDecay">Weight decay for weights; biases and normalisation parameters get none (as timm does).</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="Nesterov">SGD Nesterov momentum.</param>
/// <param name="Beta1">Adam/AdamW beta1.</param>
/// <param name="Beta2">Adam/AdamW beta2.</param>
/// <param name="Eps">Adam/AdamW epsilon (added to the root of the second moment).</param>
public sealed record OptimizerPlan(OptimizerKind Kind, double LearningRate, double WeightDecay = 0, double Momentum = 0.9,
    bool Nesterov = false, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = OptimizerPlan.DefaultEps)
{
    /// <summary>The epsilon of <c>adam</c>/<c>adamw</c> when the pipeline gives none (PyTorch's).</summary>
    public const double DefaultEps = 1e-8;
}

/// <summary>A learning-rate schedule within a phase. Every schedule is a pure function of the optimizer step, so a
/// resumed run sets exactly the rate an uninterrupted run would.</summary>
public abstract record SchedulePlan;

/// <summary>The base rate throughout.</summary>
public sealed record ConstantSchedule : SchedulePlan;

/// <summary>Multiplies by <paramref name="Gamma"/> every <paramref name="StepEpochs"/> epochs.</summary>
public sealed record StepSchedule(int StepEpochs, double Gamma) : SchedulePlan;

/// <summary>Linear warm-up for <paramref name="WarmupEpochs"/> epochs, then cosine decay to <paramref name="MinFactor"/> × base.</summary>
public sealed record CosineSchedule(double WarmupEpochs = 0, double MinFactor = 0) : SchedulePlan
{
    /// <summary>Warm-up in optimizer steps (added to <see cref="WarmupEpochs"/>).</summary>
    public int WarmupSteps { get; init; }
}

/// <summary>fastai/PyTorch one-cycle: cosine rise from base/<paramref name="DivFactor"/> to base over
/// <paramref name="PctStart"/> of the phase, then cosine fall to base/(DivFactor × FinalDivFactor).</summary>
public sealed record OneCycleSchedule(double PctStart = 0.25, double DivFactor = 25, double FinalDivFactor = 1e4) : SchedulePlan;

/// <summary>A learning-rate rule of a phase: parameters of modules the pattern matches get <paramref name="LearningRate"/>.</summary>
/// <param name="Pattern">As written, for reports.</param>
/// <param name="Matches">Accepts a parameter's module-qualified name (e.g. <c>layer4.0.conv1.weight</c>).</param>
/// <param name="LearningRate">The rate.</param>
public sealed record LearningRateRule(string Pattern, Func<string, bool> Matches, double LearningRate);

/// <summary>One phase of training (gradual unfreezing): what becomes trainable, at which rates, for how long.</summary>
/// <param name="Name">For reports.</param>
/// <param name="Epochs">Epochs in the phase.</param>
/// <param name="Unfreeze">Module matchers made trainable at the start of the phase.</param>
/// <param name="Freeze">Freeze rules applied at the start of the phase.</param>
/// <param name="LearningRates">Discriminative rates: the first matching rule wins.</param>
/// <param name="LearningRate">The phase's default rate (null: the optimizer's).</param>
/// <param name="Schedule">The schedule within the phase.</param>
public sealed record PhasePlan(string Name, int Epochs, IReadOnlyList<Func<string, bool>> Unfreeze, IReadOnlyList<FreezeRule> Freeze,
    IReadOnlyList<LearningRateRule> LearningRates, double? LearningRate, SchedulePlan Schedule)
{
    /// <summary>Whether the phase trains with the data's random augmentation (false: evaluation preprocessing, so a
    /// frozen prefix can be cached).</summary>
    public bool Augment { get; init; } = true;
}

/// <summary>Stop when <paramref name="Metric"/> has not improved by <paramref name="MinDelta"/> for
/// <paramref name="Patience"/> epochs.</summary>
/// <param name="Metric">valid.accuracy, valid.loss, valid.macro_f1, valid.top5, train.loss, train.accuracy.</param>
/// <param name="Maximize">True for accuracy-like metrics.</param>
/// <param name="Patience">Epochs without improvement before stopping.</param>
/// <param name="MinDelta">The smallest change that counts as an improvement.</param>
public sealed record EarlyStoppingPlan(string Metric, bool Maximize, int Patience, double MinDelta = 0);

/// <summary>Checkpoint policy.</summary>
/// <param name="Keep">Which to keep.</param>
/// <param name="EveryEpochs">Write one every N epochs (and always at the end).</param>
/// <param name="Metric">The metric that decides "best" (defaults to early stopping's, else valid.accuracy).</param>
public sealed record CheckpointPlan(CheckpointKeep Keep = CheckpointKeep.Best, int EveryEpochs = 1, string? Metric = null);

/// <summary>How to train.</summary>
/// <param name="Seed">Seeds torch, the data order and the augmentation.</param>
/// <param name="BatchSize">Samples per forward pass.</param>
/// <param name="Accumulate">Forward passes per optimizer step (gradient accumulation).</param>
/// <param name="Optimizer">Optimizer settings.</param>
/// <param name="LabelSmoothing">Cross-entropy label smoothing.</param>
/// <param name="ClassWeights">Cross-entropy class weights (label order), or null.</param>
/// <param name="ClipGradNorm">Max total gradient norm, or null.</param>
/// <param name="Phases">The phases, in order.</param>
/// <param name="EarlyStopping">Early stopping, or null.</param>
/// <param name="Checkpoint">Checkpoint policy.</param>
public sealed record TrainingPlan(int Seed, int BatchSize, int Accumulate, OptimizerPlan Optimizer, double LabelSmoothing,
    IReadOnlyList<float>? ClassWeights, double? ClipGradNorm, IReadOnlyList<PhasePlan> Phases, EarlyStoppingPlan? EarlyStopping,
    CheckpointPlan Checkpoint)
{
    /// <summary>Whether frozen-prefix features may be computed once and reused (when the phase allows it).</summary>
    public bool CacheFeatures { get; init; } = true;

    /// <summary>Cached features up to this size stay in memory; larger caches go to a file in the run folder.</summary>
    public long CacheMemoryBytes { get; init; } = 2L << 30;

    /// <summary>Which engine computes the cached frozen features (<c>auto</c>: by measured rates; the run's plan.json
    /// records the engine used, so a resume computes the same features).</summary>
    public InferenceEngine FeatureEngine { get; init; } = InferenceEngine.Auto;

    /// <summary>Worker threads for libtorch (0: leave libtorch's default).</summary>
    public int Threads { get; init; }

    /// <summary>An exponential moving average of the weights, or null.</summary>
    public EmaPlan? Ema { get; init; }
}

/// <summary>An exponential moving average of the weights (timm's ModelEma): after every optimizer step
/// <c>average = average + (1 - d) × (weights - average)</c>; validation, the best checkpoint, evaluate, predict and
/// export use the average.</summary>
/// <param name="Decay">d, in (0, 1).</param>
/// <param name="Warmup">Use <c>d = min(Decay, (1 + t) / (10 + t))</c> at step t (t from 0), so that a short run's
/// average is not dominated by the initial weights.</param>
public sealed record EmaPlan(double Decay, bool Warmup = true)
{
    /// <summary>The decay of the update after <paramref name="step"/> earlier optimizer steps.</summary>
    public double DecayAt(long step) => Warmup ? Math.Min(Decay, (1.0 + step) / (10.0 + step)) : Decay;
}
