using System;
using System.IO;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Text;

namespace TLDsl.Runtime.Pipelines;

/// <summary>A pipeline file read and validated by TLDsl.Spec — the same parser the generator and the CLI use.</summary>
/// <param name="Path">The file.</param>
/// <param name="Text">Its text.</param>
/// <param name="Spec">The validated spec.</param>
public sealed record PipelineFile(string Path, string Text, PipelineSpec Spec)
{
    /// <summary>SHA-256 of the file's text (<see cref="PipelineHash.Of"/>): the pipeline's identity in run folders and checkpoints.</summary>
    public string Hash => PipelineHash.Of(Text);

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="PipelineException">The file has errors; the message lists them all.</exception>
    public static PipelineFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: pipeline file not found.", path);
        }
        // Bounded: a file past the limit (or /dev/zero) is read only up to it, and the parser reports TLD0002.
        string text = BoundedText.ReadPipeline(path);
        return Parse(text, System.IO.Path.GetFullPath(path));
    }

    /// <summary>Validates pipeline text that claims to come from <paramref name="path"/> (relative paths resolve against it;
    /// an ONNX layer listing, <c>base.layers</c>, is read from disk).</summary>
    public static PipelineFile Parse(string text, string path)
    {
        var result = PipelineParser.Parse(text, path, PipelineParseOptions.Disk);
        if (result.Spec is null || result.HasErrors)
        {
            throw new PipelineException(result.Diagnostics);
        }
        return new PipelineFile(path, text, result.Spec);
    }

    /// <summary>A path written in the pipeline, resolved against the pipeline's folder.</summary>
    public string Resolve(string written) => PipelinePaths.Resolve(Path, written);
}
