using System;

namespace TLDsl.Runtime.Weights;

/// <summary>A weights file that cannot be used; the message names the file and, where there is one, the key.</summary>
public sealed class WeightsLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WeightsLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with the underlying cause.</summary>
    public WeightsLoadException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public WeightsLoadException() { }
}
