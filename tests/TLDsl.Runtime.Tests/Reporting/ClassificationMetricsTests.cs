using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Runtime.Tests.Reporting;

public sealed class ClassificationMetricsTests
{
    internal static readonly string[] Abc = ["a", "b", "c"];

    // Hand-worked example: class "c" is never predicted; sample 4 ties classes 0 and 2.
    internal static ClassificationMetrics Example() => ClassificationMetrics.Compute(
        [0, 0, 1, 1, 2, 2],
        [
            [0.7f, 0.2f, 0.1f], // t0 -> 0, hit
            [0.2f, 0.5f, 0.3f], // t0 -> 1, target rank 2
            [0.1f, 0.8f, 0.1f], // t1 -> 1, hit
            [0.6f, 0.3f, 0.1f], // t1 -> 0, target rank 1
            [0.3f, 0.4f, 0.3f], // t2 -> 1, target ties class 0 and ranks after it: rank 2
            [0.1f, 0.6f, 0.3f], // t2 -> 1, target rank 1
        ],
        Abc, loss: 0.75);

    [Fact]
    public void Hand_computed_example()
    {
        var m = Example();
        Assert.Equal(6, m.Count);
        Assert.Equal(2.0 / 6, m.Accuracy, 12);
        Assert.Equal(0.75, m.Loss);
        Assert.Equal(new[] { 0, 1, 1, 0, 1, 1 }, m.Predictions);
        Assert.Equal(new[,] { { 1, 1, 0 }, { 1, 1, 0 }, { 0, 2, 0 } }, m.ConfusionMatrix);

        Assert.Equal(new ClassMetrics("a", 0.5, 0.5, 0.5, 2), m.PerClass[0]);
        Assert.Equal("b", m.PerClass[1].Label);
        Assert.Equal(0.25, m.PerClass[1].Precision, 12);
        Assert.Equal(0.5, m.PerClass[1].Recall, 12);
        Assert.Equal(1.0 / 3, m.PerClass[1].F1, 12);
        Assert.Equal(2, m.PerClass[1].Support);
        // Never predicted: precision 0 (not NaN), and so F1 0.
        Assert.Equal(new ClassMetrics("c", 0, 0, 0, 2), m.PerClass[2]);

        Assert.Equal((0.5 + 1.0 / 3 + 0) / 3, m.MacroF1, 12);
        Assert.Equal((0.5 + 0.25 + 0) / 3, m.MacroPrecision, 12);
        Assert.Equal((0.5 + 0.5 + 0) / 3, m.MacroRecall, 12);
        Assert.Equal((0.5 * 2 + 1.0 / 3 * 2) / 6, m.WeightedF1, 12);
    }

    [Fact]
    public void Top_k_breaks_ties_by_lower_class_index()
    {
        var m = Example();
        Assert.Equal(2.0 / 6, m.TopK(1), 12);
        // Ranks of the targets: 0, 2, 0, 1, 2, 1. Sample 4's target (index 2) ties index 0 and so ranks after it.
        Assert.Equal(4.0 / 6, m.TopK(2), 12);
        Assert.Equal(1.0, m.TopK(3), 12);
        Assert.Equal(1.0, m.TopK(10), 12);
        Assert.Equal(1.0, m.Top5, 12); // only 3 classes: top-3
        Assert.Throws<ArgumentOutOfRangeException>(() => m.TopK(0));

        // Arg-max ties go to the lowest index too: equal scores for classes 0 and 1.
        var tie = ClassificationMetrics.Compute([1, 0], [[0.4f, 0.4f, 0.2f], [0.4f, 0.4f, 0.2f]], Abc);
        Assert.Equal(new[] { 0, 0 }, tie.Predictions);
        Assert.Equal(0.5, tie.TopK(1), 12);
        Assert.Equal(1.0, tie.TopK(2), 12);
    }

    [Fact]
    public void Top5_uses_five_classes_when_there_are_more()
    {
        string[] labels = Enumerable.Range(0, 7).Select(i => "l" + i).ToArray();
        // Target 6 has the 6th largest score: outside top-5; target 4 the 5th: inside.
        float[] row = [0.3f, 0.25f, 0.2f, 0.1f, 0.07f, 0.05f, 0.03f];
        var m = ClassificationMetrics.Compute([4, 5], [row, row], labels);
        Assert.Equal(0.5, m.Top5, 12);
        Assert.Equal(1.0, m.TopK(6), 12);
    }

    [Fact]
    public void Macro_average_leaves_out_classes_absent_from_targets_and_predictions()
    {
        string[] abcd = ["a", "b", "c", "d"];
        var full = Example();
        var m = ClassificationMetrics.Compute([0, 0, 1, 1, 2, 2],
            [
                [0.7f, 0.2f, 0.1f, 0f], [0.2f, 0.5f, 0.3f, 0f], [0.1f, 0.8f, 0.1f, 0f],
                [0.6f, 0.3f, 0.1f, 0f], [0.3f, 0.4f, 0.3f, 0f], [0.1f, 0.6f, 0.3f, 0f],
            ], abcd);
        Assert.Equal(new ClassMetrics("d", 0, 0, 0, 0), m.PerClass[3]);
        Assert.Equal(full.MacroF1, m.MacroF1, 12);
        Assert.Equal(full.Accuracy, m.Accuracy, 12);
    }

    [Fact]
    public void Matches_independent_formulas_on_a_random_case()
    {
        var random = new Random(1234);
        const int n = 500, classes = 6;
        string[] labels = Enumerable.Range(0, classes).Select(i => "class" + i).ToArray();
        var targets = new int[n];
        var probs = new float[n][];
        for (int i = 0; i < n; i++)
        {
            targets[i] = random.Next(classes);
            var raw = Enumerable.Range(0, classes).Select(_ => (float)random.Next(1, 6)).ToArray(); // coarse: many ties
            raw[targets[i]] += random.Next(0, 3);
            float sum = raw.Sum();
            probs[i] = raw.Select(v => v / sum).ToArray();
        }
        var m = ClassificationMetrics.Compute(targets, probs, labels);

        // Ranking by (score desc, index asc) through LINQ sorting rather than counting.
        int[] Order(float[] p) => Enumerable.Range(0, classes).OrderByDescending(c => p[c]).ThenBy(c => c).ToArray();
        int[] predicted = probs.Select(p => Order(p)[0]).ToArray();
        Assert.Equal(predicted, m.Predictions);
        Assert.Equal(Enumerable.Range(0, n).Count(i => predicted[i] == targets[i]) / (double)n, m.Accuracy, 12);
        for (int k = 1; k <= classes; k++)
        {
            int kk = k;
            double expected = Enumerable.Range(0, n).Count(i => Order(probs[i]).Take(kk).Contains(targets[i])) / (double)n;
            Assert.Equal(expected, m.TopK(k), 12);
        }

        var f1s = new List<double>();
        for (int c = 0; c < classes; c++)
        {
            int tp = Enumerable.Range(0, n).Count(i => targets[i] == c && predicted[i] == c);
            int fp = Enumerable.Range(0, n).Count(i => targets[i] != c && predicted[i] == c);
            int fn = Enumerable.Range(0, n).Count(i => targets[i] == c && predicted[i] != c);
            double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn); // F1 without going through P and R
            Assert.Equal(f1, m.PerClass[c].F1, 12);
            Assert.Equal(tp + fn, m.PerClass[c].Support);
            Assert.Equal(tp + fp == 0 ? 0 : (double)tp / (tp + fp), m.PerClass[c].Precision, 12);
            f1s.Add(f1);
        }
        Assert.Equal(f1s.Average(), m.MacroF1, 12);

        var matrix = m.ConfusionMatrix;
        Assert.Equal(n, Enumerable.Range(0, classes).Sum(t => Enumerable.Range(0, classes).Sum(p => matrix[t, p])));
        Assert.Equal(Enumerable.Range(0, n).Count(i => targets[i] == 3 && predicted[i] == 1), matrix[3, 1]);
    }

    [Fact]
    public void Rejects_inconsistent_input()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0], [[0.5f, 0.5f]], Abc));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([3], [[0.5f, 0.5f, 0f]], Abc));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0, 1], [[0.5f, 0.5f, 0f]], Abc));
        var nan = Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0], [[float.NaN, 0.5f, 0f]], Abc));
        Assert.Contains("row 0", nan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_input_gives_zeros()
    {
        var m = ClassificationMetrics.Compute([], [], Abc);
        Assert.Equal(0, m.Count);
        Assert.Equal(0, m.Accuracy);
        Assert.Equal(0, m.Top5);
        Assert.Equal(0, m.MacroF1);
        Assert.All(m.PerClass, c => Assert.Equal(0, c.Support));
    }

    [Fact]
    public void Confusion_matrix_is_a_copy()
    {
        var m = Example();
        m.ConfusionMatrix[0, 0] = 99;
        Assert.Equal(1, m.ConfusionMatrix[0, 0]);
    }
}
