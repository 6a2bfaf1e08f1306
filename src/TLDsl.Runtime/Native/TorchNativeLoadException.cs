using System;
using System.Collections.Generic;

namespace TLDsl.Runtime.Native;

/// <summary>TorchSharp's native library could not be made to load; the message says what was tried.</summary>
public sealed class TorchNativeLoadException : Exception
{
    /// <summary>Creates the exception from a reason and the list of attempts.</summary>
    public TorchNativeLoadException(string reason, IReadOnlyList<string> attempts)
        : base(Compose(reason, attempts))
    {
        Reason = reason;
        Attempts = [.. attempts];
    }

    /// <summary>Creates the exception.</summary>
    public TorchNativeLoadException() : this("unknown reason", []) { }

    /// <summary>Creates the exception with a reason only.</summary>
    public TorchNativeLoadException(string message) : this(message, []) { }

    /// <summary>Creates the exception with an inner cause.</summary>
    public TorchNativeLoadException(string message, Exception inner) : base(message, inner)
    {
        Reason = message;
        Attempts = [];
    }

    /// <summary>The final reason.</summary>
    public string Reason { get; }

    /// <summary>Everything that was tried, in order.</summary>
    public IReadOnlyList<string> Attempts { get; }

    private static string Compose(string reason, IReadOnlyList<string> attempts) =>
        attempts.Count == 0
            ? $"TLDsl could not load TorchSharp's native library: {reason}"
            : $"TLDsl could not load TorchSharp's native library: {reason}\nTried:\n  - {string.Join("\n  - ", attempts)}";
}
