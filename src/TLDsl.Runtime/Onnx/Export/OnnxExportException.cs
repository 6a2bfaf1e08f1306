using System;

namespace TLDsl.Runtime.Onnx.Export;

/// <summary>A model cannot be exported to ONNX (a module kind the exporter does not know, a run without a finished
/// checkpoint, an unwritable output); the message names the module or file. Nothing has been written.</summary>
public sealed class OnnxExportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxExportException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public OnnxExportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public OnnxExportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
