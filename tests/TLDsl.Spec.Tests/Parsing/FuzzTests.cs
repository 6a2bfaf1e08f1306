using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Parsing;

/// <summary>Seeded random mutations of the example pipelines: the parser must only ever answer with diagnostics.</summary>
public class FuzzTests
{
    private const int Mutations = 2500;

    [Fact]
    public void Random_mutations_never_throw_and_finish_quickly()
    {
        var sources = RepoPaths.Pipelines().Select(File.ReadAllText).ToArray();
        var random = new Random(20261128);
        var clock = Stopwatch.StartNew();
        var withErrors = 0;
        var ids = new HashSet<string>();
        for (var i = 0; i < Mutations; i++)
        {
            var text = sources[random.Next(sources.Length)];
            var rounds = 1 + random.Next(3);
            for (var r = 0; r < rounds; r++)
            {
                text = Mutate(text, random);
            }

            PipelineParseResult result;
            try
            {
                result = PipelineParser.Parse(text, "fuzz.tl.yaml", new PipelineParseOptions { ReadFile = _ => null });
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException("mutation " + i + " threw; input:\n" + text, ex);
            }

            Assert.True(result.Spec is null == result.HasErrors, "spec must be null exactly when there are errors");
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "TLD0032" && !d.Message.Contains("boom", StringComparison.Ordinal));
            Assert.All(result.Diagnostics, d => Assert.True(d.Span is null || (d.Span.StartLine >= 1 && d.Span.StartColumn >= 1 && d.Span.Length >= 0)));
            withErrors += result.HasErrors ? 1 : 0;
            ids.UnionWith(result.Diagnostics.Select(d => d.Id));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "fuzzing took " + clock.Elapsed);
        Assert.True(withErrors > Mutations / 2, "mutations should mostly break pipelines: " + withErrors);
        Assert.True(ids.Count >= 10, "mutations should reach many diagnostics: " + string.Join(", ", ids));
    }

    private static string Mutate(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var at = random.Next(lines.Count);
        switch (random.Next(10))
        {
            case 0: // delete a line
                lines.RemoveAt(at);
                break;
            case 1: // duplicate a line
                lines.Insert(at, lines[at]);
                break;
            case 2: // swap two lines
                var other = random.Next(lines.Count);
                (lines[at], lines[other]) = (lines[other], lines[at]);
                break;
            case 3: // change a character
                if (lines[at].Length > 0)
                {
                    var chars = lines[at].ToCharArray();
                    const string alphabet = "abcxyz019:-[]{},'\"&*!#|>? \t\\";
                    chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
                    lines[at] = new string(chars);
                }

                break;
            case 4: // numbers to strings
                lines[at] = System.Text.RegularExpressions.Regex.Replace(lines[at], "[0-9][0-9.e-]*", m => "\"" + m.Value + "\"");
                break;
            case 5: // inject an unknown key
                lines.Insert(at, new string(' ', 2 * random.Next(3)) + "mystery_" + random.Next(100) + ": " + random.Next(10));
                break;
            case 6: // deep nesting
                var depth = random.Next(10, 120);
                lines.Insert(at, "deep: " + new string('[', depth) + new string(']', depth));
                break;
            case 7: // anchors and aliases, sometimes a small bomb
                lines.Insert(at, "anchor: &x [1, 2, 3]");
                lines.Add("alias: [*x, *x, *x]");
                if (random.Next(3) == 0)
                {
                    lines.Add("b1: &b1 [*x, *x, *x, *x, *x, *x, *x, *x, *x, *x]\nb2: &b2 [*b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1]\nb3: &b3 [*b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2]\nb4: [*b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3]");
                }

                break;
            case 8: // change a number
                lines[at] = System.Text.RegularExpressions.Regex.Replace(lines[at], "[0-9]+", _ => new[] { "0", "-1", "1e9", "0.5", "99999999999999999999", "nan" }[random.Next(6)]);
                break;
            default: // truncate the text
                return string.Join("\n", lines).Substring(0, random.Next(text.Length + 1));
        }

        return string.Join("\n", lines);
    }
}
