using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Reporting;

/// <summary>What a run reports at its end, written to <c>&lt;run&gt;/summary.json</c> by
/// <see cref="Reports.WriteSummary"/>.</summary>
/// <param name="Pipeline">The pipeline name.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="StopReason">Why training ended (all phases completed, early stopping, interrupted...).</param>
/// <param name="Seconds">Wall-clock seconds of the whole run.</param>
/// <param name="BestEpoch">The epoch of the best checkpoint, if one was kept.</param>
/// <param name="MonitoredMetric">The metric that chose the best epoch (for example <c>valid.accuracy</c>).</param>
/// <param name="BestValue">Its value at the best epoch.</param>
/// <param name="Validation">Final validation metrics, if there is a validation split.</param>
/// <param name="Test">Test metrics, if a test set was evaluated.</param>
public sealed record RunSummary(string Pipeline, int Epochs, long Steps, string StopReason, double Seconds,
    int? BestEpoch = null, string? MonitoredMetric = null, double? BestValue = null,
    ClassificationMetrics? Validation = null, ClassificationMetrics? Test = null);

/// <summary>Human- and tool-readable reports of classification results.</summary>
public static class Reports
{
    /// <summary>A fixed-width text table in the manner of scikit-learn's <c>classification_report</c>: one row per
    /// class (precision, recall, F1, support), then accuracy, the macro average and the support-weighted average.
    /// Numbers have four decimals, invariant culture; lines end with <c>\n</c>.</summary>
    public static string ClassificationReport(ClassificationMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        string[] names = ["accuracy", "macro avg", "weighted avg"];
        int width = Math.Max(names.Max(n => n.Length), m.PerClass.Count == 0 ? 0 : m.PerClass.Max(c => c.Label.Length));
        var b = new StringBuilder();
        void Row(string name, string p, string r, string f, string s) =>
            b.Append(name.PadLeft(width)).Append(p.PadLeft(11)).Append(r.PadLeft(11)).Append(f.PadLeft(11))
                .Append(s.PadLeft(10)).Append('\n');
        static string N(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

        Row("", "precision", "recall", "f1-score", "support");
        b.Append('\n');
        foreach (var c in m.PerClass)
        {
            Row(c.Label, N(c.Precision), N(c.Recall), N(c.F1), I(c.Support));
        }
        b.Append('\n');
        Row("accuracy", "", "", N(m.Accuracy), I(m.Count));
        Row("macro avg", N(m.MacroPrecision), N(m.MacroRecall), N(m.MacroF1), I(m.Count));
        double wp = m.Count == 0 ? 0 : m.PerClass.Sum(c => c.Precision * c.Support) / m.Count;
        double wr = m.Count == 0 ? 0 : m.PerClass.Sum(c => c.Recall * c.Support) / m.Count;
        Row("weighted avg", N(wp), N(wr), N(m.WeightedF1), I(m.Count));
        if (m.Loss is { } loss)
        {
            b.Append('\n').Append("loss ").Append(loss.ToString("0.0000", CultureInfo.InvariantCulture)).Append('\n');
        }
        return b.ToString();
    }

    /// <summary>Writes the confusion matrix as CSV: a header <c>true\predicted,&lt;labels...&gt;</c>, then one row per
    /// true class starting with its label. Written atomically.</summary>
    /// <param name="matrix">Counts indexed <c>[target, predicted]</c>.</param>
    /// <param name="labels">The class labels, one per row and column.</param>
    /// <param name="path">The CSV file to write.</param>
    public static void WriteConfusionCsv(int[,] matrix, IReadOnlyList<string> labels, string path)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentException.ThrowIfNullOrEmpty(path);
        int n = labels.Count;
        if (matrix.GetLength(0) != n || matrix.GetLength(1) != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the matrix is {matrix.GetLength(0)}x{matrix.GetLength(1)} but there are {n} labels."), nameof(matrix));
        }
        var b = new StringBuilder(Csv.Escape("true\\predicted"));
        foreach (var label in labels)
        {
            b.Append(',').Append(Csv.Escape(label));
        }
        b.Append('\n');
        for (int t = 0; t < n; t++)
        {
            b.Append(Csv.Escape(labels[t]));
            for (int p = 0; p < n; p++)
            {
                b.Append(',').Append(matrix[t, p].ToString(CultureInfo.InvariantCulture));
            }
            b.Append('\n');
        }
        AtomicFile.WriteAllText(path, b.ToString());
    }

    /// <summary>Writes <c>summary.json</c> (indented, atomically). Metrics appear as objects with <c>count</c>,
    /// <c>loss</c>, <c>accuracy</c>, <c>top5</c>, <c>macro_f1</c>, <c>weighted_f1</c>, <c>per_class</c> (label,
    /// precision, recall, f1, support), <c>labels</c> and <c>confusion_matrix</c> (rows = true class). Non-finite
    /// numbers are written as null.</summary>
    public static void WriteSummary(RunSummary summary, string path)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteAllBytes(path, SummaryJson(summary));
    }

    /// <summary>The UTF-8 JSON that <see cref="WriteSummary"/> writes.</summary>
    public static byte[] SummaryJson(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("pipeline", summary.Pipeline);
            w.WriteNumber("epochs", summary.Epochs);
            w.WriteNumber("steps", summary.Steps);
            w.WriteString("stop_reason", summary.StopReason);
            Number(w, "seconds", summary.Seconds);
            if (summary.BestEpoch is { } be)
            {
                w.WriteNumber("best_epoch", be);
            }
            else
            {
                w.WriteNull("best_epoch");
            }
            w.WriteString("monitored_metric", summary.MonitoredMetric);
            Number(w, "best_value", summary.BestValue);
            Metrics(w, "validation", summary.Validation);
            Metrics(w, "test", summary.Test);
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    private static void Metrics(Utf8JsonWriter w, string name, ClassificationMetrics? m)
    {
        if (m is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteNumber("count", m.Count);
        Number(w, "loss", m.Loss);
        Number(w, "accuracy", m.Accuracy);
        Number(w, "top5", m.Top5);
        Number(w, "macro_f1", m.MacroF1);
        Number(w, "weighted_f1", m.WeightedF1);
        w.WriteStartArray("per_class");
        foreach (var c in m.PerClass)
        {
            w.WriteStartObject();
            w.WriteString("label", c.Label);
            Number(w, "precision", c.Precision);
            Number(w, "recall", c.Recall);
            Number(w, "f1", c.F1);
            w.WriteNumber("support", c.Support);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("labels");
        foreach (var label in m.Labels)
        {
            w.WriteStringValue(label);
        }
        w.WriteEndArray();
        var matrix = m.ConfusionMatrix;
        w.WriteStartArray("confusion_matrix");
        for (int t = 0; t < matrix.GetLength(0); t++)
        {
            w.WriteStartArray();
            for (int p = 0; p < matrix.GetLength(1); p++)
            {
                w.WriteNumberValue(matrix[t, p]);
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
