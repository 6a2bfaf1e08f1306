using System;

namespace TLDsl.Spec.Parsing;

/// <summary>
/// Paths in a spec are kept exactly as written; this resolves them against the pipeline file's folder. Pure string
/// work (no file system access), so the generator may use it too.
/// </summary>
public static class PipelinePaths
{
    /// <summary>
    /// Resolves <paramref name="path"/> relative to the folder of <paramref name="pipelineFilePath"/>; absolute paths
    /// (rooted, or with a drive letter) are returned unchanged. Separators are normalised to '/'.
    /// </summary>
    /// <param name="pipelineFilePath">The pipeline file, as given to the parser.</param>
    /// <param name="path">A path from the spec.</param>
    public static string Resolve(string pipelineFilePath, string path)
    {
        var normalized = path.Replace('\\', '/');
        if (IsAbsolute(normalized))
        {
            return normalized;
        }

        var file = pipelineFilePath.Replace('\\', '/');
        var slash = file.LastIndexOf('/');
        var folder = slash < 0 ? string.Empty : file.Substring(0, slash + 1);
        return Normalize(folder + normalized);
    }

    /// <summary>True for <c>/x</c>, <c>C:/x</c> and <c>//server/x</c>.</summary>
    /// <param name="path">A path with '/' separators.</param>
    public static bool IsAbsolute(string path) =>
        path.StartsWith("/", StringComparison.Ordinal) || (path.Length >= 2 && path[1] == ':' && char.IsLetter(path[0]));

    /// <summary>Folds "a/./b" and "a/x/../b" so that equal files give equal strings (stable for caching, messages and
    /// the generator's comparison of model files).</summary>
    /// <param name="path">A path with '/' separators.</param>
    public static string Normalize(string path)
    {
        var rooted = path.StartsWith("/", StringComparison.Ordinal);
        var parts = new System.Collections.Generic.List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == ".." && parts.Count > 0 && parts[parts.Count - 1] != "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                parts.Add(part);
            }
        }

        var joined = string.Join("/", parts);
        return rooted ? "/" + joined : joined;
    }
}
