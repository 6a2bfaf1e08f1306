namespace TLDsl.Spec.Model;

/// <summary>Where the base model comes from.</summary>
public enum BaseModelSource
{
    /// <summary>A model of the built-in catalogue (<c>base.model</c>).</summary>
    Catalogue,

    /// <summary>An ONNX file (<c>base.onnx</c>).</summary>
    Onnx,
}

/// <summary>What <c>base.weights</c> names.</summary>
public enum WeightsKind
{
    /// <summary>Random initialisation (<c>weights: none</c> or no key).</summary>
    None,

    /// <summary>Named weights of the catalogue entry, e.g. <c>imagenet</c>.</summary>
    Named,

    /// <summary>A file: .pth/.pt (PyTorch), .safetensors or .dat (TorchSharp).</summary>
    File,
}

/// <summary>How input pixels are normalised.</summary>
public enum NormalizeKind
{
    /// <summary>No normalisation: pixels in [0, 1].</summary>
    None,

    /// <summary>The statistics of the weights in use (<c>normalize: weights</c>).</summary>
    Weights,

    /// <summary>The statistics of named catalogue weights (<c>normalize: imagenet</c>), e.g. with a weights file.</summary>
    Named,

    /// <summary>Explicit per-channel mean and std on [0, 1] RGB pixels.</summary>
    MeanStd,

    /// <summary>Reorder to BGR and subtract per-channel means on 0-255 pixels, no std (Caffe/CNTK style).</summary>
    BgrMean,
}

/// <summary>How a freeze rule selects layers.</summary>
public enum FreezeSelector
{
    /// <summary>Names or globs (<c>layers:</c>).</summary>
    Layers,

    /// <summary>A .NET regex matching whole names (<c>regex:</c>).</summary>
    Regex,

    /// <summary>The first N stages of the catalogue entry (<c>first_stages:</c>).</summary>
    FirstStages,

    /// <summary>Every layer of the base model (not the head).</summary>
    Backbone,

    /// <summary>Every layer including the head.</summary>
    All,
}

/// <summary>Kinds of data source.</summary>
public enum DataSourceKind
{
    /// <summary>A folder with one subfolder of images per class.</summary>
    Folder,

    /// <summary>IDX files (MNIST format), raw or .gz.</summary>
    Idx,

    /// <summary>A CSV file of (path, label) rows.</summary>
    Csv,
}

/// <summary>Augmentation kinds.</summary>
public enum AugmentKind
{
    /// <summary>Random crop of random scale and aspect ratio, resized to the input size.</summary>
    RandomResizedCrop,

    /// <summary>Random horizontal (or vertical) flip.</summary>
    Flip,

    /// <summary>Random rotation.</summary>
    Rotation,

    /// <summary>Random brightness, contrast, saturation and hue changes.</summary>
    ColorJitter,

    /// <summary>TrivialAugmentWide: one random operation of random strength per image.</summary>
    TrivialAugment,

    /// <summary>Random erasing of a rectangle of the normalised input.</summary>
    RandomErasing,

    /// <summary>Random crop of the network-sized image after padding it (a random shift).</summary>
    PadCrop,

    /// <summary>Mixup: a sample blended with another of the batch; the loss mixes both labels.</summary>
    Mixup,

    /// <summary>CutMix: a rectangle pasted from another sample of the batch; the loss mixes both labels by area.</summary>
    CutMix,
}

/// <summary>Test-time augmentation views, each averaged (softmax probabilities) with the plain image.</summary>
public enum TtaView
{
    /// <summary>The image mirrored left-right.</summary>
    Flip,

    /// <summary>The image mirrored top-bottom.</summary>
    VerticalFlip,

    /// <summary>The image turned by 90 and by 270 degrees (two views; a square input only).</summary>
    Rotate90,
}

/// <summary>Loss functions.</summary>
public enum LossKind
{
    /// <summary>Cross-entropy on logits.</summary>
    CrossEntropy,
}

/// <summary>Whether a smaller or larger metric is better.</summary>
public enum MetricMode
{
    /// <summary>Smaller is better (losses).</summary>
    Min,

    /// <summary>Larger is better (accuracy, F1).</summary>
    Max,
}
