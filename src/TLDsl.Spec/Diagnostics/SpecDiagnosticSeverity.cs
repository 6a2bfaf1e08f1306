namespace TLDsl.Spec.Diagnostics;

/// <summary>How serious a diagnostic is. Any <see cref="Error"/> means no spec is produced.</summary>
public enum SpecDiagnosticSeverity
{
    /// <summary>A note; nothing is wrong.</summary>
    Info = 0,

    /// <summary>Probably a mistake, but the pipeline can run.</summary>
    Warning = 1,

    /// <summary>The pipeline cannot be built or run.</summary>
    Error = 2,
}
