using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Diagnostics;

namespace TLDsl.Runtime.Pipelines;

/// <summary>A pipeline file that cannot be run; the message holds every error as <c>file(line,col): error TLD0000: ...</c>,
/// the same text the build and <c>tldsl validate</c> print.</summary>
public sealed class PipelineException : Exception
{
    /// <summary>Creates the exception from the file's diagnostics.</summary>
    public PipelineException(IReadOnlyList<SpecDiagnostic> diagnostics)
        : base(string.Join(Environment.NewLine, diagnostics.Where(d => d.IsError).Select(d => d.Format())))
    {
        Diagnostics = diagnostics;
    }

    /// <summary>Creates the exception with a message.</summary>
    public PipelineException(string message) : base(message) => Diagnostics = [];

    /// <summary>Creates the exception.</summary>
    public PipelineException() : this("invalid pipeline") { }

    /// <summary>Creates the exception with a cause.</summary>
    public PipelineException(string message, Exception inner) : base(message, inner) => Diagnostics = [];

    /// <summary>Every diagnostic of the file.</summary>
    public IReadOnlyList<SpecDiagnostic> Diagnostics { get; }
}
