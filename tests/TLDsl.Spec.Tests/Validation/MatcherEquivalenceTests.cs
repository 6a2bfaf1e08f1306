using System;
using System.Linq;
using System.Text.RegularExpressions;
using TLDsl.Spec.Validation;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Tests.Validation;

/// <summary>
/// The hand-written glob matcher and key-path check must agree with the regexes they replaced (and that the runtime
/// still uses), on generated patterns and names over an alphabet that includes dots, wildcards and newlines.
/// </summary>
public class MatcherEquivalenceTests
{
    private const string Alphabet = "ab1.*?\n";

    [Fact]
    public void Glob_matching_agrees_with_the_glob_regex()
    {
        var random = new Random(20261128);
        var checkedPairs = 0;
        var matched = 0;
        for (var i = 0; i < 4000; i++)
        {
            var glob = Word(random, 0, 6);
            var name = random.Next(3) == 0 ? glob.Replace('*', 'a').Replace('?', 'b') : Word(random, 0, 7).Replace('*', '.').Replace('?', 'a');
            var expected = LayerPattern.GlobToRegex(glob).IsMatch(name);
            Assert.True(expected == LayerPattern.GlobMatches(glob, name), $"glob '{Escape(glob)}' name '{Escape(name)}': regex says {expected}");
            checkedPairs++;
            matched += expected ? 1 : 0;
        }

        // Both outcomes were exercised, not just misses.
        Assert.InRange(matched, checkedPairs / 20, checkedPairs - (checkedPairs / 20));
    }

    [Fact]
    public void Selection_agrees_with_the_regex_and_prefix_definition()
    {
        var names = new[] { "conv1", "layer1", "layer1.0", "layer1.0.conv1", "layer1.0.bn1", "layer1.1", "layer10", "layer10.0", "fc", "fc.\n" };
        foreach (var glob in new[] { "layer1", "layer1.*", "layer1.**", "layer?", "*", "**", "**.bn1", "*.0", "fc", "layer1.?", "" })
        {
            var regex = LayerPattern.GlobToRegex(glob);
            var roots = names.Where(n => regex.IsMatch(n)).ToArray();
            var expected = names.Where(n => roots.Any(r => n == r || n.StartsWith(r + ".", StringComparison.Ordinal))).ToArray();
            Assert.Equal(expected, LayerPattern.SelectGlob(glob, names));
        }
    }

    [Fact]
    public void Key_paths_agree_with_the_identifier_regex()
    {
        var simple = new Regex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);
        var random = new Random(7);
        foreach (var key in new[] { "", "\n", "a\n", "a\n\n", "_", "9a", "a9", "layer4.*", "é", "A_b" }.Concat(Enumerable.Range(0, 2000).Select(_ => Word(random, 0, 4, "aZ_9.\n é"))))
        {
            var expected = simple.IsMatch(key) ? "p." + key : "p['" + key + "']";
            Assert.Equal(expected, NodePaths.Child("p", key));
        }
    }

    private static string Word(Random random, int min, int max, string alphabet = Alphabet) =>
        new(Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

    private static string Escape(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal);
}
