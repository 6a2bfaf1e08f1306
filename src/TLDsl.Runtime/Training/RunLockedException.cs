using System;
using System.IO;

namespace TLDsl.Runtime.Training;

/// <summary>The run is being trained by another process; the message names the run folder, the lock file and the holder.</summary>
public sealed class RunLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RunLockedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public RunLockedException() { }

    /// <summary>Creates the exception with a cause.</summary>
    public RunLockedException(string message, Exception inner) : base(message, inner) { }
}
