using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Model;

/// <summary>How to train.</summary>
/// <param name="Seed">Random seed for initialisation, shuffling and augmentation.</param>
/// <param name="Batch">Batch size.</param>
/// <param name="Accumulate">Gradient accumulation steps (effective batch = Batch × Accumulate).</param>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="Loss">The loss.</param>
/// <param name="ClipGradNorm">Largest gradient norm, or null for no clipping.</param>
/// <param name="Phases">Phases in order (at least one); <c>train.epochs</c> alone is one phase.</param>
/// <param name="EarlyStopping">Early stopping, or null.</param>
/// <param name="Checkpoint">Checkpoint policy.</param>
/// <param name="Runs">Folder for run outputs, as written (default <c>runs</c>).</param>
/// <param name="Ema">An exponential moving average of the weights, or null.</param>
public sealed record TrainSpec(
    int Seed,
    int Batch,
    int Accumulate,
    OptimizerSpec Optimizer,
    LossSpec Loss,
    double? ClipGradNorm,
    EquatableArray<PhaseSpec> Phases,
    EarlyStoppingSpec? EarlyStopping,
    CheckpointSpec Checkpoint,
    string Runs,
    EmaSpec? Ema = null);

/// <summary>The optimizer. Fields that do not apply to <see cref="Kind"/> hold their defaults.</summary>
/// <param name="Kind">sgd, adam or adamw.</param>
/// <param name="Lr">Base learning rate (phases may override).</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="Nesterov">SGD Nesterov momentum.</param>
/// <param name="WeightDecay">Weight decay (decoupled for adamw).</param>
/// <param name="Beta1">Adam beta1.</param>
/// <param name="Beta2">Adam beta2.</param>
/// <param name="Eps">Adam epsilon.</param>
public sealed record OptimizerSpec(
    OptimizerKind Kind,
    double Lr,
    double Momentum,
    bool Nesterov,
    double WeightDecay,
    double Beta1,
    double Beta2,
    double Eps);

/// <summary>The loss.</summary>
/// <param name="Kind">Cross-entropy.</param>
/// <param name="LabelSmoothing">Label smoothing in [0, 1).</param>
/// <param name="ClassWeights">One weight per label, in label order, or empty.</param>
public sealed record LossSpec(LossKind Kind, double LabelSmoothing, EquatableArray<double> ClassWeights);

/// <summary>Early stopping on a metric.</summary>
/// <param name="Metric">e.g. <c>valid.accuracy</c>, <c>valid.loss</c>, <c>valid.macro_f1</c>.</param>
/// <param name="Mode">min or max (default from the metric).</param>
/// <param name="Patience">Epochs without improvement before stopping.</param>
/// <param name="MinDelta">Smallest change that counts as improvement.</param>
public sealed record EarlyStoppingSpec(string Metric, MetricMode Mode, int Patience, double MinDelta);

/// <summary>Checkpoint policy.</summary>
/// <param name="Keep">best, last or all.</param>
/// <param name="Every">Save every N epochs, or null for every epoch that matters to <paramref name="Keep"/>.</param>
public sealed record CheckpointSpec(CheckpointKeep Keep, int? Every);

/// <summary>An exponential moving average of the weights, updated after every optimizer step, evaluated and checkpointed.</summary>
/// <param name="Decay">The average keeps this share of itself per step, in (0, 1).</param>
/// <param name="Warmup">Use <c>min(Decay, (1 + t) / (10 + t))</c> at step t, so that a short run's average is not
/// dominated by the initial weights.</param>
public sealed record EmaSpec(double Decay, bool Warmup);
