using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Model;

/// <summary>
/// One training phase. Unfreeze and freeze lists apply at the start of the phase and persist into later phases.
/// </summary>
/// <param name="Name">The phase name (default <c>phase1</c>, <c>phase2</c>...).</param>
/// <param name="Epochs">Epochs in this phase (at least 1).</param>
/// <param name="Unfreeze">Layer patterns made trainable (<c>head</c>, names, globs).</param>
/// <param name="Freeze">Layer patterns frozen.</param>
/// <param name="Lr">The phase's learning rate for every group without its own, or null for the optimizer's.</param>
/// <param name="LrGroups">Discriminative learning rates: pattern → lr, in order (first match wins).</param>
/// <param name="Schedule">The learning-rate schedule within the phase.</param>
public sealed record PhaseSpec(
    string Name,
    int Epochs,
    EquatableArray<string> Unfreeze,
    EquatableArray<string> Freeze,
    double? Lr,
    EquatableArray<LrGroupSpec> LrGroups,
    ScheduleSpec Schedule)
{
    /// <summary>Layer-wise learning-rate decay per stage from the head down (<c>lr_decay</c>), or null. The validator
    /// resolves it into <see cref="LrGroups"/> entries (one per stage member, after the written ones).</summary>
    public double? LrDecay { get; init; }

    /// <summary>Whether this phase trains with <c>data.augment</c> (<c>augment: false</c> turns it off, so a frozen
    /// prefix can be cached).</summary>
    public bool Augment { get; init; } = true;
}

/// <summary>A learning rate for the layers a pattern selects.</summary>
/// <param name="Pattern">A name, glob or <c>head</c>.</param>
/// <param name="Lr">The learning rate.</param>
public sealed record LrGroupSpec(string Pattern, double Lr);

/// <summary>A learning-rate schedule. Fields that do not apply to <see cref="Kind"/> are null or default.</summary>
/// <param name="Kind">constant, step, cosine or one_cycle.</param>
/// <param name="StepSize">step: epochs between decays.</param>
/// <param name="Gamma">step: decay factor.</param>
/// <param name="WarmupEpochs">cosine: linear warmup epochs.</param>
/// <param name="WarmupSteps">cosine: linear warmup optimizer steps.</param>
/// <param name="MinLr">cosine: final learning rate.</param>
/// <param name="MaxLr">one_cycle: peak learning rate (default: the phase lr).</param>
/// <param name="PctStart">one_cycle: fraction of the phase spent warming up.</param>
public sealed record ScheduleSpec(
    ScheduleKind Kind,
    int? StepSize,
    double Gamma,
    int? WarmupEpochs,
    int? WarmupSteps,
    double MinLr,
    double? MaxLr,
    double PctStart);
