using System;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Spec.Text;

/// <summary>"Did you mean" support: edit distance and nearest candidates.</summary>
public static class Suggestions
{
    /// <summary>Optimal-string-alignment distance (insert, delete, substitute, swap adjacent), case-insensitive.</summary>
    /// <param name="a">First string.</param>
    /// <param name="b">Second string.</param>
    public static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var best = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    best = Math.Min(best, d[i - 2, j - 2] + 1);
                }

                d[i, j] = best;
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>The single closest candidate if it is close enough to be a likely typo, else null.</summary>
    /// <param name="word">What was written.</param>
    /// <param name="candidates">What is allowed.</param>
    public static string? Best(string word, IEnumerable<string> candidates)
    {
        word = Clip(word);
        var limit = Math.Max(2, word.Length / 3);
        return candidates
            .Select(c => (Candidate: c, Distance: Distance(word, c)))
            .Where(x => x.Distance <= limit)
            .OrderBy(x => x.Distance)
            .ThenBy(x => x.Candidate, StringComparer.Ordinal)
            .Select(x => x.Candidate)
            .FirstOrDefault();
    }

    /// <summary>The <paramref name="count"/> nearest candidates, nearest first, however far.</summary>
    /// <param name="word">What was written.</param>
    /// <param name="candidates">What exists.</param>
    /// <param name="count">How many to return.</param>
    public static IReadOnlyList<string> Nearest(string word, IEnumerable<string> candidates, int count) =>
        candidates
            .Distinct(StringComparer.Ordinal)
            .Select(c => (Candidate: c, Distance: Distance(Clip(word), c)))
            .OrderBy(x => x.Distance)
            .ThenBy(x => x.Candidate, StringComparer.Ordinal)
            .Take(count)
            .Select(x => x.Candidate)
            .ToArray();

    /// <summary>The most characters of a written word that suggestions compare.</summary>
    public const int MaxCompared = 128;

    // The edit distance costs length × length: a 990,000-character name against a model's 300 layer names would take
    // minutes and gigabytes. No name is that long, so its first characters find the same suggestions.
    private static string Clip(string word) => word.Length > MaxCompared ? word.Substring(0, MaxCompared) : word;

    /// <summary>" Did you mean 'x'?" or empty.</summary>
    /// <param name="word">What was written.</param>
    /// <param name="candidates">What is allowed.</param>
    public static string DidYouMean(string word, IEnumerable<string> candidates)
    {
        var best = Best(word, candidates);
        return best is null ? string.Empty : " Did you mean '" + best + "'?";
    }

    /// <summary>Quotes and joins words: <c>'a', 'b', 'c'</c>.</summary>
    /// <param name="words">The words.</param>
    public static string QuoteList(IEnumerable<string> words) => string.Join(", ", words.Select(w => "'" + w + "'"));
}
