using System;

namespace TLDsl.Inference;

/// <summary>An ONNX model's TLDsl metadata is missing or malformed, or does not match what the caller expects (its
/// labels against a label type); the message names the model file.</summary>
public sealed class OnnxModelMetadataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxModelMetadataException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public OnnxModelMetadataException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public OnnxModelMetadataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
