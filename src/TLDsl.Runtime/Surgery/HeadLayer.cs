namespace TLDsl.Runtime.Surgery;

/// <summary>The kinds of layer a pipeline can add after the backbone.</summary>
public enum HeadLayerKind
{
    /// <summary>Fully connected; <see cref="HeadLayer.Size"/> outputs.</summary>
    Linear,
    /// <summary>ReLU.</summary>
    Relu,
    /// <summary>GELU.</summary>
    Gelu,
    /// <summary>SiLU (swish).</summary>
    Silu,
    /// <summary>Dropout with probability <see cref="HeadLayer.Probability"/>.</summary>
    Dropout,
    /// <summary>BatchNorm over the features (1d after flattening, 2d on feature maps).</summary>
    BatchNorm,
    /// <summary>LayerNorm over the last dimension.</summary>
    LayerNorm,
    /// <summary>Flattens everything after the batch dimension.</summary>
    Flatten,
    /// <summary>Global average pool of a feature map, flattened.</summary>
    AvgPool,
    /// <summary>Global max pool of a feature map, flattened.</summary>
    MaxPool,
    /// <summary>fastai's concat pool: average and max pooled features side by side (twice the channels).</summary>
    ConcatPool,
}

/// <summary>One added layer.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Size">Outputs of a linear layer.</param>
/// <param name="Probability">Dropout probability.</param>
/// <param name="Bias">Whether a linear layer has a bias.</param>
public sealed record HeadLayer(HeadLayerKind Kind, int Size = 0, double Probability = 0, bool Bias = true);
