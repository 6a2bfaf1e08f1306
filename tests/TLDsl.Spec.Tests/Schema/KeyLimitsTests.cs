using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Schema;

namespace TLDsl.Spec.Tests.Schema;

/// <summary>
/// Every key of the table has limits the runtime can honour (issue #20): a key added without them fails here, not
/// in a user's training run.
/// </summary>
public class KeyLimitsTests
{
    // A pattern (identifier, sha256, weights word) allows no control characters. Layer names and patterns are matched against the model (a strange one matches nothing: TLD0018); free text is
    // never a file name. Everything else that is a free string is a name or a path.
    private static readonly string[] FreeText =
    {
        ".description", ".base.drop[]", ".base.cut_at", ".freeze[].layers[]", ".freeze[].regex",
        ".train.phases[].unfreeze[]", ".train.phases[].freeze[]",
    };

    [Fact]
    public void Every_number_has_a_lower_and_an_upper_bound()
    {
        var unbounded = Numbers().Where(n => n.Node.Min is null || (n.Node.Max is null && !IsSeed(n.Path))).Select(n => n.Path).ToArray();
        Assert.True(unbounded.Length == 0, "numbers without both bounds: " + string.Join(", ", unbounded));
    }

    [Fact]
    public void Integers_stay_far_from_overflow_and_fractions_within_float32()
    {
        foreach (var (path, node) in Numbers())
        {
            if (node.Integer && !IsSeed(path))
            {
                Assert.True(node.Max <= 100_000_000, path + " allows " + node.Max);
            }

            if (!node.Integer)
            {
                Assert.True(node.Max <= float.MaxValue && node.Min >= -float.MaxValue, path);
                var smallestPositive = node.ZeroOrAtLeast ?? (node.Min > 0 ? node.Min : null);
                Assert.True(smallestPositive is null || smallestPositive >= 1.2e-38, path + ": a float32 denormal is allowed");
            }
        }
    }

    [Fact]
    public void Every_free_string_is_a_bounded_name_or_path_without_control_characters()
    {
        var strings = new List<(string Path, StringNode Node)>();
        Walk(PipelineKeys.Root, string.Empty, (path, node) =>
        {
            if (node is StringNode s && s.Allowed is null)
            {
                strings.Add((path, s));
            }
        });
        var loose = strings
            .Where(s => !FreeText.Contains(s.Path))
            .Where(s => s.Node.Pattern is null && (s.Node.MaxLength is null || !s.Node.NoControl))
            .Select(s => s.Path)
            .ToArray();
        Assert.True(loose.Length == 0, "strings without limits: " + string.Join(", ", loose));
        Assert.Contains(strings, s => s.Path == ".train.runs" && s.Node.MaxSegment == 255);
    }

    private static bool IsSeed(string path) => path.EndsWith("seed", StringComparison.Ordinal);

    private static List<(string Path, NumberNode Node)> Numbers()
    {
        var numbers = new List<(string, NumberNode)>();
        Walk(PipelineKeys.Root, string.Empty, (path, node) =>
        {
            if (node is NumberNode n)
            {
                numbers.Add((path, n));
            }
        });
        Assert.True(numbers.Count > 40, "the walk found only " + numbers.Count + " numbers");
        return numbers;
    }

    private static void Walk(SchemaNode node, string path, Action<string, SchemaNode> visit)
    {
        visit(path, node);
        switch (node)
        {
            case ObjectNode obj:
                foreach (var property in obj.Properties)
                {
                    Walk(property.Node, path + "." + property.Name, visit);
                }

                if (obj.AnyKey is not null)
                {
                    Walk(obj.AnyKey, path + ".*", visit);
                }

                break;
            case ArrayNode array:
                Walk(array.Items, path + "[]", visit);
                break;
            case ChoiceNode choice:
                foreach (var option in choice.Options)
                {
                    Walk(option, path, visit);
                }

                break;
            case TaggedNode tagged:
                foreach (var option in tagged.Options.Where(o => o.Body is not null))
                {
                    Walk(option.Body!, path + "." + option.Name, visit);
                }

                break;
        }
    }
}
