using System;
using TLDsl.Spec.Catalogue;

namespace TLDsl.Spec.Parsing;

/// <summary>Options of <c>PipelineParser.Parse</c>.</summary>
public sealed class PipelineParseOptions
{
    /// <summary>The default options: embedded catalogue, no file access.</summary>
    public static PipelineParseOptions Default { get; } = new();

    /// <summary>
    /// The embedded catalogue, and files the pipeline refers to (a layer listing) read from disk, bounded by
    /// <see cref="CatalogueReader.MaxCharacters"/>: what <c>tldsl validate</c> and the runtime use, so both judge a file alike.
    /// </summary>
    public static PipelineParseOptions Disk { get; } = new()
    {
        ReadFile = path => System.IO.File.Exists(path) ? BoundedText.Read(path, CatalogueReader.MaxCharacters) : null,
    };

    /// <summary>The base-model catalogue (default: the embedded one).</summary>
    public ModelCatalogue? Catalogue { get; init; }

    /// <summary>
    /// Reads a file the pipeline refers to at build time (only an ONNX layer listing, <c>base.layers</c>), given its
    /// path resolved by <see cref="PipelinePaths.Resolve"/> ('/' separators); returns null when it does not exist. The generator serves this from AdditionalFiles, the CLI
    /// from disk. Without it such a file cannot be read and is reported.
    /// </summary>
    public Func<string, string?>? ReadFile { get; init; }

    /// <summary>
    /// Says whether a file the pipeline loads when it trains exists (a weights file, an ONNX base), given its path
    /// resolved by <see cref="PipelinePaths.Resolve"/> ('/' separators); a file it denies is reported (TLD0041). The
    /// generator answers from the build's AdditionalFiles and never opens them. Null (the default, the CLI and the
    /// runtime): not checked here; loading reports a missing file.
    /// </summary>
    public Func<string, bool>? FileExists { get; init; }
}
