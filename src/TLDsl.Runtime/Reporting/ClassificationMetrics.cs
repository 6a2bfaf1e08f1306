using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TLDsl.Runtime.Reporting;

/// <summary>Precision, recall and F1 of one class, and how many samples truly belong to it.</summary>
/// <param name="Label">The class label.</param>
/// <param name="Precision">TP / (TP + FP); 0 when the class was never predicted.</param>
/// <param name="Recall">TP / (TP + FN); 0 when the class has no samples (support 0).</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="Support">Number of samples whose target is this class.</param>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Classification metrics computed from targets and predicted class probabilities: accuracy, top-k,
/// per-class precision/recall/F1, macro averages and the confusion matrix. Pure C#, no TorchSharp.</summary>
/// <remarks>
/// <para>The predicted class of a row is its arg-max; ties go to the lowest class index, so results are
/// deterministic. Top-k uses the same order: classes sorted by probability descending, then by index ascending; a
/// sample counts as a top-k hit when its target is among the first <c>k</c> classes of that order.</para>
/// <para>A class that is never predicted has precision 0 (scikit-learn's <c>zero_division=0</c>); a class with no
/// samples has recall 0. Macro averages are taken over the classes that occur among the targets or the predictions
/// (as scikit-learn does when no label list is passed); a class that occurs in neither is left out rather than
/// counted as 0.</para>
/// </remarks>
public sealed class ClassificationMetrics
{
    private readonly int[] _targetRanks;
    private readonly int[,] _confusion;

    private ClassificationMetrics(IReadOnlyList<string> labels, int[] predicted, int[] targetRanks, int[,] confusion,
        IReadOnlyList<ClassMetrics> perClass, double? loss)
    {
        Labels = labels;
        Predictions = predicted;
        _targetRanks = targetRanks;
        _confusion = confusion;
        PerClass = perClass;
        Loss = loss;
        Count = predicted.Length;
        int correct = 0;
        for (int i = 0; i < targetRanks.Length; i++)
        {
            if (targetRanks[i] == 0)
            {
                correct++;
            }
        }
        Accuracy = Count == 0 ? 0 : (double)correct / Count;

        var present = new List<ClassMetrics>();
        for (int c = 0; c < labels.Count; c++)
        {
            bool predictedSome = false;
            for (int t = 0; t < labels.Count; t++)
            {
                predictedSome |= confusion[t, c] > 0;
            }
            if (perClass[c].Support > 0 || predictedSome)
            {
                present.Add(perClass[c]);
            }
        }
        MacroPrecision = present.Count == 0 ? 0 : present.Average(m => m.Precision);
        MacroRecall = present.Count == 0 ? 0 : present.Average(m => m.Recall);
        MacroF1 = present.Count == 0 ? 0 : present.Average(m => m.F1);
        WeightedF1 = Count == 0 ? 0 : perClass.Sum(m => m.F1 * m.Support) / Count;
    }

    /// <summary>The class labels, in class-index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The predicted class index of every sample (arg-max, ties to the lowest index).</summary>
    public IReadOnlyList<int> Predictions { get; }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Fraction of samples whose predicted class is the target; 0 when there are no samples.</summary>
    public double Accuracy { get; }

    /// <summary>Top-5 accuracy, or top-<c>n</c> when there are only <c>n</c> &lt; 5 classes (then it is 1).</summary>
    public double Top5 => TopK(Math.Min(5, Labels.Count));

    /// <summary>The mean loss passed to <see cref="Compute"/>, if any.</summary>
    public double? Loss { get; }

    /// <summary>Per-class precision, recall, F1 and support, in class-index order. A class with no predictions has
    /// precision 0; a class with no samples has recall 0.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>Unweighted mean of per-class F1 over the classes that occur among targets or predictions.</summary>
    public double MacroF1 { get; }

    /// <summary>Unweighted mean of per-class precision (same classes as <see cref="MacroF1"/>).</summary>
    public double MacroPrecision { get; }

    /// <summary>Unweighted mean of per-class recall (same classes as <see cref="MacroF1"/>).</summary>
    public double MacroRecall { get; }

    /// <summary>Mean of per-class F1 weighted by support.</summary>
    public double WeightedF1 { get; }

    /// <summary>Counts indexed <c>[target, predicted]</c>; rows sum to the supports. Each read returns a copy.</summary>
    public int[,] ConfusionMatrix => (int[,])_confusion.Clone();

    /// <summary>Fraction of samples whose target is among the <paramref name="k"/> most probable classes (ties
    /// broken by lower class index). <paramref name="k"/> at or above the number of classes gives 1.</summary>
    /// <param name="k">How many of the most probable classes count as a hit; at least 1.</param>
    public double TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (Count == 0)
        {
            return 0;
        }
        int hits = 0;
        foreach (int rank in _targetRanks)
        {
            if (rank < k)
            {
                hits++;
            }
        }
        return (double)hits / Count;
    }

    /// <summary>Computes the metrics.</summary>
    /// <param name="targets">The true class index of each sample, in <c>[0, labels.Count)</c>.</param>
    /// <param name="probabilities">One row per sample, one finite value per class (probabilities or any scores:
    /// only their order matters).</param>
    /// <param name="labels">The class labels, in class-index order.</param>
    /// <param name="loss">The mean loss over the same samples, carried along for reports.</param>
    /// <exception cref="ArgumentException">Counts or row widths disagree, a target is out of range, or a score is
    /// not finite.</exception>
    public static ClassificationMetrics Compute(IReadOnlyList<int> targets, float[][] probabilities,
        IReadOnlyList<string> labels, double? loss = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        int classes = labels.Count;
        if (classes == 0)
        {
            throw new ArgumentException("at least one label is needed.", nameof(labels));
        }
        if (targets.Count != probabilities.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{targets.Count} targets but {probabilities.Length} probability rows."), nameof(probabilities));
        }
        int n = targets.Count;
        var predicted = new int[n];
        var ranks = new int[n];
        var confusion = new int[classes, classes];
        for (int i = 0; i < n; i++)
        {
            float[] row = probabilities[i] ?? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"probability row {i} is null."), nameof(probabilities));
            if (row.Length != classes)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"probability row {i} has {row.Length} values, expected {classes} (one per label)."), nameof(probabilities));
            }
            int target = targets[i];
            if ((uint)target >= (uint)classes)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"target {target} of sample {i} is outside [0, {classes})."), nameof(targets));
            }
            int best = 0;
            int rank = 0;
            float pt = row[target];
            for (int c = 0; c < classes; c++)
            {
                float p = row[c];
                if (!float.IsFinite(p))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"probability row {i} holds a non-finite value ({p}) for class {c}."), nameof(probabilities));
                }
                if (p > row[best])
                {
                    best = c;
                }
                if (p > pt || (p == pt && c < target))
                {
                    rank++;
                }
            }
            predicted[i] = best;
            ranks[i] = rank;
            confusion[target, best]++;
        }

        var perClass = new ClassMetrics[classes];
        for (int c = 0; c < classes; c++)
        {
            int tp = confusion[c, c];
            int support = 0;
            int predictedCount = 0;
            for (int o = 0; o < classes; o++)
            {
                support += confusion[c, o];
                predictedCount += confusion[o, c];
            }
            double precision = predictedCount == 0 ? 0 : (double)tp / predictedCount;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(labels[c], precision, recall, f1, support);
        }
        return new ClassificationMetrics(labels.ToArray(), predicted, ranks, confusion, perClass, loss);
    }
}
