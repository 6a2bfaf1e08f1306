using System.Globalization;

namespace TLDsl.Spec.Yaml;

/// <summary>
/// Display paths of values: <c>train.phases[1].lr['layer4.*']</c>. They name keys in messages and key the locator
/// that turns a semantic finding back into a location.
/// </summary>
internal static class NodePaths
{
    public static string Child(string parent, string key)
    {
        if (!IsSimple(key))
        {
            return parent + "['" + key + "']";
        }

        return parent.Length == 0 ? key : parent + "." + key;
    }

    /// <summary>
    /// True for an identifier-like key: what the regex <c>^[A-Za-z_][A-Za-z0-9_]*$</c> matches, hand-written because it
    /// runs for every key of every file (<c>$</c> also matches before one final newline, so that is accepted too).
    /// </summary>
    private static bool IsSimple(string key)
    {
        var length = key.Length > 0 && key[key.Length - 1] == '\n' ? key.Length - 1 : key.Length;
        if (length == 0 || !(IsLetter(key[0]) || key[0] == '_'))
        {
            return false;
        }

        for (var i = 1; i < length; i++)
        {
            var c = key[i];
            if (!(IsLetter(c) || c == '_' || (c >= '0' && c <= '9')))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLetter(char c) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

    public static string Index(string parent, int index) => parent + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    /// <summary>The path as message text: the root is "the pipeline".</summary>
    public static string Display(string path) => path.Length == 0 ? "the pipeline" : path;

    /// <summary>The path at the start of a sentence: the root is "The pipeline".</summary>
    public static string Subject(string path) => path.Length == 0 ? "The pipeline" : path;

    /// <summary>The parent path, or null for the root.</summary>
    public static string? Parent(string path)
    {
        if (path.Length == 0)
        {
            return null;
        }

        var depth = 0;
        for (var i = path.Length - 1; i >= 0; i--)
        {
            var c = path[i];
            if (c == ']' || c == ')')
            {
                depth++;
            }
            else if (c == '[' || c == '(')
            {
                depth--;
                if (depth == 0)
                {
                    return path.Substring(0, i);
                }
            }
            else if (c == '.' && depth == 0)
            {
                return path.Substring(0, i);
            }
        }

        return string.Empty;
    }
}
