using System;

namespace TLDsl.Runtime.Onnx;

/// <summary>
/// An ONNX file that cannot be read safely: not a protobuf, truncated, too large, inconsistent tensor data, absurd
/// dimensions, an external-data reference outside the model's folder, or an element type TLDsl cannot represent.
/// The message always starts with the file's path.
/// </summary>
public sealed class OnnxFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>; the message is prefixed with the path.</summary>
    /// <param name="filePath">The ONNX file (or a description of the in-memory source) that is at fault.</param>
    /// <param name="detail">What is wrong, naming the offending tensor, node or field where there is one.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public OnnxFormatException(string filePath, string detail, Exception? innerException = null)
        : base($"{filePath}: {detail}", innerException)
    {
        FilePath = filePath;
        Detail = detail;
    }

    /// <summary>Creates the exception with a message only (for serializers and tooling).</summary>
    public OnnxFormatException()
        : this("(unknown ONNX file)", "invalid ONNX model")
    {
    }

    /// <summary>Creates the exception with a message only (for serializers and tooling).</summary>
    /// <param name="message">The message.</param>
    public OnnxFormatException(string message)
        : this("(unknown ONNX file)", message)
    {
    }

    /// <summary>Creates the exception with a message only (for serializers and tooling).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The underlying error.</param>
    public OnnxFormatException(string message, Exception innerException)
        : this("(unknown ONNX file)", message, innerException)
    {
    }

    /// <summary>The ONNX file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The problem, without the file path.</summary>
    public string Detail { get; }
}
