using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using TLDsl.Runtime.Pipelines;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Text;

namespace TLDsl.Runtime.Generated;

/// <summary>
/// Where the pipeline compiled into an assembly lies at run time, so that its relative paths (data, weights, runs)
/// resolve the same wherever the program is started. A relative pipeline path (the generated <c>SourcePath</c>,
/// relative to the project) is looked up in: the project folder the assembly was built from (assembly metadata
/// <c>TLDsl.ProjectDirectory</c>, written by the TLDsl build props), then the application's folder
/// (<see cref="AppContext.BaseDirectory"/>: a published application that ships its pipeline and data beside it). The
/// first file there that holds the compiled text (same SHA-256) is the pipeline; the current directory is never used.
/// </summary>
internal static class PipelineAnchor
{
    /// <summary>The assembly metadata key of the project folder.</summary>
    internal const string ProjectDirectoryKey = "TLDsl.ProjectDirectory";

    /// <summary>The folders a relative pipeline path of <paramref name="assembly"/> is looked up in, in order.</summary>
    internal static IReadOnlyList<string> Folders(Assembly assembly)
    {
        var folders = new List<string>();
        var project = assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == ProjectDirectoryKey)?.Value;
        if (!string.IsNullOrWhiteSpace(project))
        {
            folders.Add(Path.GetFullPath(project));
        }
        folders.Add(Path.GetFullPath(AppContext.BaseDirectory));
        return folders.Distinct(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The pipeline file for <paramref name="path"/>: an absolute path as it is; a relative one in the first of
    /// <see cref="Folders"/> where it holds <paramref name="embeddedText"/>. Where none does, null, and
    /// <paramref name="looked"/> says what each place held.
    /// </summary>
    internal static string? Find(string path, Assembly assembly, string embeddedText, out IReadOnlyList<string> looked)
    {
        var tried = new List<string>();
        looked = tried;
        if (Path.IsPathRooted(path))
        {
            return Path.GetFullPath(path);
        }
        string expected = PipelineHash.Of(embeddedText);
        foreach (var folder in Folders(assembly))
        {
            string candidate = Path.GetFullPath(Path.Combine(folder, path));
            if (!File.Exists(candidate))
            {
                tried.Add(candidate + " (not found)");
                continue;
            }
            string actual = PipelineHash.Of(BoundedText.ReadPipeline(candidate));
            if (actual == expected)
            {
                return candidate;
            }
            tried.Add($"{candidate} (another text: sha256 {actual})");
        }
        return null;
    }

    /// <summary>The path relative paths resolve against when the file itself is not needed (a model's weights file):
    /// <see cref="Find"/>'s file, else <paramref name="path"/> under the first of <see cref="Folders"/> that exists.</summary>
    internal static string Anchor(string path, Assembly assembly, string embeddedText)
    {
        if (Find(path, assembly, embeddedText, out _) is { } found)
        {
            return found;
        }
        var folders = Folders(assembly);
        string folder = folders.FirstOrDefault(Directory.Exists) ?? folders[^1];
        return Path.GetFullPath(Path.Combine(folder, path));
    }

    /// <summary>The pipeline file a training session starts from; a <see cref="PipelineException"/> lists where it looked.</summary>
    internal static string Require(string path, Assembly assembly, string embeddedText)
    {
        if (Find(path, assembly, embeddedText, out var looked) is { } found)
        {
            return found;
        }
        throw new PipelineException(
            $"{path}: the pipeline compiled into {assembly.GetName().Name} (sha256 {PipelineHash.Of(embeddedText)}) was not found; looked in " +
            string.Join("; ", looked) + ". Rebuild the project after editing the pipeline, ship the pipeline (and its data) beside the " +
            "application, or set the options' PipelinePath to the file.");
    }
}
