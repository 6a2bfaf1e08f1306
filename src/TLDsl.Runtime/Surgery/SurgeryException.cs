using System;

namespace TLDsl.Runtime.Surgery;

/// <summary>A drop, cut, freeze or head that does not fit the model; the message names the layer.</summary>
public sealed class SurgeryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SurgeryException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public SurgeryException() { }

    /// <summary>Creates the exception with a cause.</summary>
    public SurgeryException(string message, Exception inner) : base(message, inner) { }
}
