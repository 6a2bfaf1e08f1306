using System;

namespace TLDsl.Runtime.Training;

/// <summary>A checkpoint that cannot be used for this run (written by another pipeline or version, or damaged); the
/// message names the file and what to do.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public CheckpointException() { }

    /// <summary>Creates the exception with a cause.</summary>
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
