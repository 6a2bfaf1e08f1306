namespace TLDsl.Runtime.Surgery;

/// <summary>What a freeze rule does to the BatchNorm layers it covers.</summary>
public enum BatchNormPolicy
{
    /// <summary>Affine parameters frozen and running statistics kept: the layer stays in eval mode even when the
    /// model is put in train mode. The usual choice for a frozen backbone.</summary>
    Eval,

    /// <summary>Affine parameters train, running statistics stay frozen (eval mode).</summary>
    TrainAffine,

    /// <summary>Affine parameters train and running statistics update in train mode.</summary>
    Train,
}
