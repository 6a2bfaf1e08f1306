namespace TLDsl.Spec.Registries;

/// <summary>What a freeze rule does to the BatchNorm layers it covers.</summary>
public enum BatchNormPolicy
{
    /// <summary>Affine parameters frozen and running statistics kept: the layer stays in eval mode even when the model
    /// is put in train mode. The usual choice for a frozen backbone.</summary>
    Eval,

    /// <summary>Affine parameters train, running statistics stay frozen (eval mode).</summary>
    TrainAffine,

    /// <summary>Affine parameters train and running statistics update in train mode.</summary>
    Train,
}

/// <summary>The BatchNorm policies of <c>freeze: [{..., batchnorm: ...}]</c>.</summary>
public static class BatchNormPolicies
{
    /// <summary>Every policy.</summary>
    public static Registry<BatchNormPolicy> Registry { get; } = new(
        new(BatchNormPolicy.Eval, "eval", "statistics and affine frozen (default)"),
        new(BatchNormPolicy.TrainAffine, "train_affine", "statistics frozen, affine scale and shift trained"),
        new(BatchNormPolicy.Train, "train", "statistics update and affine trains even in a frozen part"));
}
