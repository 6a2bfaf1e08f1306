namespace TLDsl.Spec.Registries;

/// <summary>Learning-rate schedules within a phase.</summary>
public enum ScheduleKind
{
    /// <summary>Constant learning rate.</summary>
    Constant,

    /// <summary>Multiply by gamma every step_size epochs.</summary>
    Step,

    /// <summary>Cosine annealing, with optional linear warmup.</summary>
    Cosine,

    /// <summary>One-cycle policy (warm up to max_lr, anneal down).</summary>
    OneCycle,
}

/// <summary>The values of a phase's <c>schedule</c>.</summary>
public static class Schedules
{
    /// <summary>Every schedule.</summary>
    public static Registry<ScheduleKind> Registry { get; } = new(
        new(ScheduleKind.Constant, "constant", "Constant learning rate."),
        new(ScheduleKind.Step, "step", "Step decay."),
        new(ScheduleKind.Cosine, "cosine", "Cosine annealing with optional warmup."),
        new(ScheduleKind.OneCycle, "one_cycle", "One-cycle policy."));
}
