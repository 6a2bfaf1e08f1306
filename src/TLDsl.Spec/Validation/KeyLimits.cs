using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Schema;

namespace TLDsl.Spec.Validation;

/// <summary>
/// The limits validation applies to a pipeline's values, for settings made in code instead of YAML (a generated
/// trainer's options, a runtime plan edited before training). They are read from the same key table as validation's,
/// so code cannot set a value that a pipeline could not hold.
/// </summary>
/// <remarks>Keys are dotted YAML paths without list indices; a tagged choice is one segment:
/// <c>train.batch</c>, <c>train.optimizer.sgd.lr</c>, <c>train.phases.epochs</c>, <c>train.phases.schedule.step.gamma</c>.
/// A key that names a list (<c>train.loss.cross_entropy.class_weights</c>) stands for its items.</remarks>
public static class KeyLimits
{
    /// <summary>Largest effective batch, <c>train.batch × train.accumulate</c>.</summary>
    public const int MaxEffectiveBatch = PipelineKeys.MaxEffectiveBatch;

    /// <summary>Most epochs of all phases together.</summary>
    public const int MaxTotalEpochs = PipelineKeys.MaxEpochs;

    /// <summary>Most values of one input batch, <c>train.batch × channels × input height × width</c>.</summary>
    public const long MaxBatchValues = PipelineKeys.MaxBatchValues;

    /// <summary>Whether validation accepts <paramref name="value"/> at the numeric key <paramref name="key"/>
    /// (NaN and infinities never; integer keys only whole numbers in 32-bit range).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a numeric key of the language.</exception>
    public static bool Allows(string key, double value)
    {
        var number = Number(key);
        return !double.IsNaN(value) && !double.IsInfinity(value) && number.InRange(value)
            && (!number.Integer || (Math.Floor(value) == value && value >= int.MinValue && value <= int.MaxValue));
    }

    /// <summary>What the numeric key <paramref name="key"/> accepts, worded as validation's messages word it
    /// (<c>an integer &gt;= 1 and &lt;= 65536</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a numeric key of the language.</exception>
    public static string Expectation(string key) => Number(key).Expectation;

    /// <summary>The words the key <paramref name="key"/> accepts (<c>train.early_stopping.metric</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is not a key with a fixed set of words.</exception>
    public static IReadOnlyList<string> Words(string key) =>
        (Leaf(key) as StringNode)?.Allowed?.ToArray() ?? throw new ArgumentException($"'{key}' is not a key with a fixed set of words.", nameof(key));

    private static NumberNode Number(string key) =>
        Leaf(key) switch
        {
            NumberNode number => number,
            ChoiceNode choice when choice.Options.OfType<NumberNode>().FirstOrDefault() is { } number => number,
            _ => throw new ArgumentException($"'{key}' is not a numeric key of the pipeline language.", nameof(key)),
        };

    private static SchemaNode? Leaf(string key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key));
        }

        SchemaNode? node = PipelineKeys.Root;
        foreach (var segment in key.Split('.'))
        {
            node = Child(Items(node), segment);
        }

        return Items(node);
    }

    // A list's limits are its items'.
    private static SchemaNode? Items(SchemaNode? node) => node is ArrayNode array ? Items(array.Items) : node;

    private static SchemaNode? Child(SchemaNode? node, string segment) => node switch
    {
        ObjectNode obj => obj.Find(segment)?.Node,
        TaggedNode tagged => tagged.Find(segment)?.Body,
        ChoiceNode choice => choice.Options.Select(o => Child(Items(o), segment)).FirstOrDefault(n => n is not null),
        _ => null,
    };
}
