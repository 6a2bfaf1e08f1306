using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;

namespace TLDsl.Generator;

/// <summary>What an AdditionalFile is to the generator.</summary>
internal enum AdditionalFileKind
{
    /// <summary>A <c>*.tl.yaml</c> pipeline: read.</summary>
    Pipeline,

    /// <summary>A weights file or ONNX base a pipeline may name: only its path is used, its content is never read.</summary>
    Model,

    /// <summary>Anything else (an ONNX layer listing): read when a pipeline names it.</summary>
    Text,
}

/// <summary>
/// The model files (weights, ONNX bases) the build knows, by path: the TLDsl props make the project's files of these
/// kinds AdditionalFiles with <c>TLDslKind="model"</c>, so that a pipeline naming a missing one fails the build
/// (TLD0041) without the generator touching the file system. Their content is never read: only paths are compared.
/// </summary>
internal static class ModelFiles
{
    /// <summary>The item metadata that marks an AdditionalFile as a model file whatever its extension.</summary>
    public const string KindMetadata = "build_metadata.AdditionalFiles.TLDslKind";

    /// <summary>The MSBuild property that turns the check off (<c>false</c>).</summary>
    public const string CheckProperty = "build_property.TLDslCheckModelFiles";

    // The files the runtime loads as weights (WeightsFormat) or as an ONNX base; the TLDsl props glob the same list.
    private static readonly string[] Extensions = { ".pth", ".pt", ".safetensors", ".dat", ".onnx" };

    public static AdditionalFileKind Classify(AdditionalText text, AnalyzerConfigOptionsProvider options)
    {
        if (text.Path.EndsWith(".tl.yaml", StringComparison.OrdinalIgnoreCase))
        {
            return AdditionalFileKind.Pipeline;
        }
        if (Extensions.Any(e => text.Path.EndsWith(e, StringComparison.OrdinalIgnoreCase))
            || (options.GetOptions(text).TryGetValue(KindMetadata, out var kind) && !string.IsNullOrWhiteSpace(kind)))
        {
            return AdditionalFileKind.Model;
        }
        return AdditionalFileKind.Text;
    }

    /// <summary>The known files' canonical paths, sorted (value-equatable for caching).</summary>
    public static EquatableArray<string> Known(IEnumerable<string> paths) =>
        EquatableArray.From(paths.Select(Canonical).Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(p => p, StringComparer.Ordinal));

    /// <summary>Whether <paramref name="path"/> (resolved against the pipeline's folder, as the runtime does) is known.
    /// Case is ignored: on Windows and macOS the runtime would open the file whatever its case, and a false error is worse
    /// than a missed one.</summary>
    public static bool Contains(EquatableArray<string> known, string path)
    {
        string wanted = Canonical(path);
        return known.Any(k => string.Equals(k, wanted, StringComparison.OrdinalIgnoreCase));
    }

    // '/' separators and "." / ".." folded, so that "a/../w.pth" (a hand-written AdditionalFile) equals "w.pth".
    private static string Canonical(string path) => PipelinePaths.Normalize(path.Replace('\\', '/'));
}
