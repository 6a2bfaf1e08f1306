using System.Globalization;

namespace TLDsl.Spec.Diagnostics;

/// <summary>
/// Where a diagnostic points in a text file: 1-based line and column (start and end, end exclusive) for people,
/// 0-based character offset and length for tools (the generator builds a Roslyn <c>Location</c> from them).
/// </summary>
/// <param name="FilePath">The file as the caller named it.</param>
/// <param name="StartLine">1-based line of the first character.</param>
/// <param name="StartColumn">1-based column of the first character.</param>
/// <param name="EndLine">1-based line just past the last character.</param>
/// <param name="EndColumn">1-based column just past the last character.</param>
/// <param name="Offset">0-based character offset of the first character.</param>
/// <param name="Length">Number of characters covered (0 for a point).</param>
public sealed record SourceSpan(
    string FilePath,
    int StartLine,
    int StartColumn,
    int EndLine,
    int EndColumn,
    int Offset,
    int Length)
{
    /// <summary>A point at the very start of a file.</summary>
    /// <param name="filePath">The file.</param>
    public static SourceSpan StartOf(string filePath) => new(filePath, 1, 1, 1, 1, 0, 0);

    /// <summary>Shows <c>path(line,col)</c>, the prefix compilers print.</summary>
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0}({1},{2})", FilePath, StartLine, StartColumn);
}
