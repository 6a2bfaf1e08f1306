namespace TLDsl.Runtime.Onnx;

/// <summary>Limits applied while reading an ONNX file, so that a hostile file cannot make TLDsl allocate without bound.</summary>
public sealed record OnnxReadOptions
{
    /// <summary>The defaults: files up to 2 GiB (protobuf's own limit), tensors up to 2^31 elements.</summary>
    public static OnnxReadOptions Default { get; } = new();

    /// <summary>The largest model file accepted, in bytes; checked before the file is read.</summary>
    public long MaxFileBytes { get; init; } = int.MaxValue;

    /// <summary>The largest element count of any one tensor (initializer, constant, or external-data tensor).</summary>
    public long MaxTensorElements { get; init; } = 1L << 31;
}
