namespace TLDsl.Spec.Registries;

/// <summary>Which checkpoints a run keeps.</summary>
public enum CheckpointKeep
{
    /// <summary>The best by the monitored metric, plus the latest (for resume).</summary>
    Best,

    /// <summary>Only the latest.</summary>
    Last,

    /// <summary>Every one written.</summary>
    All,
}

/// <summary>The values of <c>train.checkpoint.keep</c>.</summary>
public static class CheckpointKeeps
{
    /// <summary>Every policy.</summary>
    public static Registry<CheckpointKeep> Registry { get; } = new(
        new(CheckpointKeep.Best, "best", "the best by the monitored metric, plus the latest (default)"),
        new(CheckpointKeep.Last, "last", "only the latest"),
        new(CheckpointKeep.All, "all", "every checkpoint written"));
}
