using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Model;

/// <summary>One freeze rule; rules apply in order before the first phase.</summary>
/// <param name="Selector">How layers are selected.</param>
/// <param name="Patterns">Names or globs for <see cref="FreezeSelector.Layers"/>; the regex for <see cref="FreezeSelector.Regex"/>.</param>
/// <param name="FirstStages">N for <see cref="FreezeSelector.FirstStages"/>, else null.</param>
/// <param name="BatchNorm">What frozen BatchNorm layers do.</param>
public sealed record FreezeRuleSpec(
    FreezeSelector Selector,
    EquatableArray<string> Patterns,
    int? FirstStages,
    BatchNormPolicy BatchNorm);
