using System;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>One reason an ONNX graph cannot be imported: the node and operator at fault (when there is one) and what
/// is wrong, including the supported alternatives.</summary>
/// <param name="NodeName">The node's name as written in the file (or its generated layer name), or null for graph-level problems.</param>
/// <param name="OpType">The node's operator, or null.</param>
/// <param name="Message">What is wrong.</param>
public sealed record OnnxImportProblem(string? NodeName, string? OpType, string Message)
{
    /// <inheritdoc/>
    public override string ToString() =>
        NodeName is null ? Message : $"node '{NodeName}' ({OpType}): {Message}";
}

/// <summary>
/// An ONNX graph that TLDsl cannot turn into a trainable module: an unsupported operator, opset or attribute, or a
/// malformed graph (dangling inputs, cycles). The message names the file, every problem's node and operator, and the
/// supported set. <see cref="OnnxImporter.Check(OnnxModel, OnnxImportOptions?)"/> finds the same problems without importing.
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>Creates the exception for the problems found in <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The model file.</param>
    /// <param name="problems">At least one problem.</param>
    public OnnxImportException(string filePath, IReadOnlyList<OnnxImportProblem> problems)
        : base(Format(filePath, problems))
    {
        FilePath = filePath;
        Problems = problems;
    }

    /// <summary>Creates the exception with a message only (for serializers and tooling).</summary>
    public OnnxImportException()
        : this("(unknown ONNX file)", [new OnnxImportProblem(null, null, "cannot import the ONNX graph")])
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    /// <param name="message">The message.</param>
    public OnnxImportException(string message)
        : this("(unknown ONNX file)", [new OnnxImportProblem(null, null, message)])
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public OnnxImportException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "(unknown ONNX file)";
        Problems = [new OnnxImportProblem(null, null, message)];
    }

    /// <summary>The model file.</summary>
    public string FilePath { get; }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<OnnxImportProblem> Problems { get; }

    private static string Format(string filePath, IReadOnlyList<OnnxImportProblem> problems)
    {
        var lines = problems.Take(20).Select(p => "  - " + p).ToList();
        if (problems.Count > 20)
        {
            lines.Add($"  - ... and {problems.Count - 20} more");
        }

        return $"{filePath}: cannot import the ONNX graph ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):\n"
            + string.Join("\n", lines);
    }
}
