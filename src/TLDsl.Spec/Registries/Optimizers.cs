namespace TLDsl.Spec.Registries;

/// <summary>The optimizers TLDsl trains with.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, optionally with (Nesterov) momentum.</summary>
    Sgd,

    /// <summary>Adam (L2 weight decay added to the gradient).</summary>
    Adam,

    /// <summary>AdamW (decoupled weight decay).</summary>
    AdamW,
}

/// <summary>The values of <c>train.optimizer</c>.</summary>
public static class Optimizers
{
    /// <summary>Every optimizer.</summary>
    public static Registry<OptimizerKind> Registry { get; } = new(
        new(OptimizerKind.Sgd, "sgd", "Stochastic gradient descent."),
        new(OptimizerKind.Adam, "adam", "Adam."),
        new(OptimizerKind.AdamW, "adamw", "AdamW (decoupled weight decay)."));
}
