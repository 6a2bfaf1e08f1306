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
    public static bool GlobMatches(string glob, string name) => new GlobMatcher(glob).Matches(name);

    /// <summary>Module names selected by a glob, including descendants of matched modules.</summary>
    /// <param name="glob">The pattern.</param>
    /// <param name="moduleNames">Every module name of the model, dotted.</param>
    public static IReadOnlyList<string> SelectGlob(string glob, IEnumerable<string> moduleNames)
    {
        var matcher = new GlobMatcher(glob);
        return Select(matcher.Matches, moduleNames);
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

    /// <summary>The glob as an anchored regex (what <see cref="GlobMatches"/> matches, as a <see cref="Regex"/>).</summary>
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
        var names = moduleNames as IReadOnlyList<string> ?? moduleNames.ToArray();
        var roots = new List<string>();
        foreach (var name in names)
        {
            if (matches(name))
            {
                roots.Add(name);
            }
        }

        var selected = new List<string>(roots.Count);
        foreach (var name in names)
        {
            foreach (var root in roots)
            {
                if (name == root || IsDescendant(name, root))
                {
                    selected.Add(name);
                    break;
                }
            }
        }

        return selected.ToArray();
    }

    // name.StartsWith(root + ".") without building the string.
    private static bool IsDescendant(string name, string root) =>
        name.Length > root.Length && name[root.Length] == '.' && string.CompareOrdinal(name, 0, root, 0, root.Length) == 0;

    /// <summary>
    /// Matches a glob exactly as its <see cref="GlobToRegex"/> regex does (<c>**</c> = <c>.*</c>, <c>*</c> = <c>[^.]*</c>,
    /// <c>?</c> = <c>[^.]</c>, anchored, <c>$</c> also before one final newline) without building a regex: validation
    /// matches every pattern against every module of the model, in every build.
    /// </summary>
    private sealed class GlobMatcher
    {
        // Token kinds; a literal token's character is in _chars.
        private const byte Literal = 0, OneChar = 1, SegmentRun = 2, AnyRun = 3;
        private static readonly char[] Wildcards = { '*', '?' };
        private readonly string _glob;
        private readonly int _prefix;
        private readonly byte[]? _kinds;
        private readonly char[]? _chars;
        private bool[] _reach = Array.Empty<bool>(); // reused across the names one selection matches
        private bool[] _next = Array.Empty<bool>();

        public GlobMatcher(string glob)
        {
            _glob = glob;
            _prefix = glob.IndexOfAny(Wildcards);
            if (_prefix < 0)
            {
                return;
            }

            var kinds = new List<byte>(glob.Length);
            var chars = new List<char>(glob.Length);
            for (var i = 0; i < glob.Length; i++)
            {
                var c = glob[i];
                if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
                {
                    kinds.Add(AnyRun);
                    i++;
                }
                else
                {
                    kinds.Add(c == '*' ? SegmentRun : c == '?' ? OneChar : Literal);
                }

                chars.Add(c);
            }

            _kinds = kinds.ToArray();
            _chars = chars.ToArray();
        }

        public bool Matches(string name)
        {
            if (_kinds is null)
            {
                // A literal glob: the name itself, or the name plus the one final newline that '$' lets through.
                return name == _glob || (name.Length == _glob.Length + 1 && name[_glob.Length] == '\n' && string.CompareOrdinal(name, 0, _glob, 0, _glob.Length) == 0);
            }

            // Most globs start with literal text ("layer4.*"): most names fail there.
            if (name.Length < _prefix || string.CompareOrdinal(name, 0, _glob, 0, _prefix) != 0)
            {
                return false;
            }

            // reach[p]: the tokens so far can match name[0..p). One pass per token, so no backtracking blow-up.
            if (_reach.Length <= name.Length)
            {
                _reach = new bool[name.Length + 1];
                _next = new bool[name.Length + 1];
            }

            var reach = _reach;
            var next = _next;
            Array.Clear(reach, 0, name.Length + 1);
            reach[0] = true;
            for (var t = 0; t < _kinds.Length; t++)
            {
                var kind = _kinds[t];
                if (kind == Literal || kind == OneChar)
                {
                    next[0] = false;
                    for (var p = 0; p < name.Length; p++)
                    {
                        next[p + 1] = reach[p] && (kind == Literal ? name[p] == _chars![t] : name[p] != '.');
                    }
                }
                else
                {
                    var excluded = kind == AnyRun ? '\n' : '.';
                    next[0] = reach[0];
                    for (var p = 0; p < name.Length; p++)
                    {
                        next[p + 1] = reach[p + 1] || (next[p] && name[p] != excluded);
                    }
                }

                (reach, next) = (next, reach);
            }

            _reach = reach;
            _next = next;
            return reach[name.Length] || (name.Length > 0 && name[name.Length - 1] == '\n' && reach[name.Length - 1]);
        }
    }
}
