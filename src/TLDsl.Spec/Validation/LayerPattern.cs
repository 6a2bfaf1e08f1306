using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Layer selection shared by the validator, the generator and the runtime, so all agree on what a pattern selects.
/// A glob matches dotted module names (<c>layer4.1.conv2</c>): <c>*</c> matches within one name segment (no dot),
/// <c>**</c> matches across dots, <c>?</c> one character; everything else is literal. A selected module selects all
/// of its descendants, so <c>layer4</c> and <c>layer4.*</c> both select the whole stage. Regexes are .NET regexes
/// that must match the whole name. The word <c>head</c> selects the added head layers.
/// </summary>
public static class LayerPattern
{
    /// <summary>The pattern word that addresses the head layers the pipeline adds.</summary>
    public const string Head = "head";

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> GlobCache = new(StringComparer.Ordinal);

    /// <summary>True when the glob matches <paramref name="name"/> exactly (not counting descendants).</summary>
    /// <param name="glob">The pattern.</param>
    /// <param name="name">A dotted module name.</param>
    public static bool GlobMatches(string glob, string name) => GlobToRegex(glob).IsMatch(name);

    /// <summary>Module names selected by a glob, including descendants of matched modules.</summary>
    /// <param name="glob">The pattern.</param>
    /// <param name="moduleNames">Every module name of the model, dotted.</param>
    public static IReadOnlyList<string> SelectGlob(string glob, IEnumerable<string> moduleNames)
    {
        var regex = GlobToRegex(glob);
        return Select(n => regex.IsMatch(n), moduleNames);
    }

    /// <summary>Module names selected by a regex (whole-name match), including descendants; null when the regex is invalid.</summary>
    /// <param name="pattern">The .NET regex.</param>
    /// <param name="moduleNames">Every module name of the model, dotted.</param>
    public static IReadOnlyList<string>? SelectRegex(string pattern, IEnumerable<string> moduleNames)
    {
        var regex = TryCreateRegex(pattern);
        if (regex is null)
        {
            return null;
        }

        return Select(
            n =>
            {
                try
                {
                    return regex.IsMatch(n);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }
            },
            moduleNames);
    }

    /// <summary>Compiles a user regex anchored to the whole name, with a match timeout; null when invalid.</summary>
    /// <param name="pattern">The .NET regex.</param>
    public static Regex? TryCreateRegex(string pattern)
    {
        try
        {
            return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The glob as an anchored regex.</summary>
    /// <param name="glob">The pattern.</param>
    public static Regex GlobToRegex(string glob) => GlobCache.Count < 1000 ? GlobCache.GetOrAdd(glob, BuildGlobRegex) : BuildGlobRegex(glob);

    private static Regex BuildGlobRegex(string glob)
    {
        var builder = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                builder.Append(".*");
                i++;
            }
            else if (c == '*')
            {
                builder.Append("[^.]*");
            }
            else if (c == '?')
            {
                builder.Append("[^.]");
            }
            else
            {
                builder.Append(Regex.Escape(c.ToString()));
            }
        }

        builder.Append('$');
        return new Regex(builder.ToString(), RegexOptions.CultureInvariant, RegexTimeout);
    }

    private static string[] Select(Func<string, bool> matches, IEnumerable<string> moduleNames)
    {
        var names = moduleNames.ToArray();
        var roots = names.Where(matches).ToArray();
        return names.Where(n => roots.Any(r => n == r || n.StartsWith(r + ".", StringComparison.Ordinal))).ToArray();
    }
}
