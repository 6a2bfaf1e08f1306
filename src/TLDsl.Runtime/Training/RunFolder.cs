using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Training;

/// <summary>One run's folder: the resolved pipeline, metrics, plots and checkpoints. A new run never reuses a folder.</summary>
public sealed class RunFolder
{
    private RunFolder(string path) => Path = path;

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Checkpoints live here.</summary>
    public string Checkpoints => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>Plots live here.</summary>
    public string Plots => System.IO.Path.Combine(Path, "plots");

    /// <summary>The per-epoch metrics.</summary>
    public string MetricsCsv => System.IO.Path.Combine(Path, "metrics.csv");

    /// <summary>The class names in the model's output order, one per line, written when the run starts: a run of
    /// <c>labels: from_data</c> keeps the classes it was trained on even when the data folder changes later.</summary>
    public string LabelsFile => System.IO.Path.Combine(Path, "labels.txt");

    /// <summary>Scratch space (feature caches too large for memory).</summary>
    public string Cache => System.IO.Path.Combine(Path, "cache");

    /// <summary>Creates <c>root/name/yyyyMMdd-HHmmss</c>, adding <c>-2</c>, <c>-3</c>... rather than reusing a folder.</summary>
    public static RunFolder CreateNew(string root, string name, DateTimeOffset now)
    {
        string parent = System.IO.Path.Combine(root, name);
        Directory.CreateDirectory(parent);
        string stamp = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        for (int n = 1; n < 10_000; n++)
        {
            string candidate = System.IO.Path.Combine(parent, n == 1 ? stamp : $"{stamp}-{n}");
            // A marker file created exclusively claims the folder even when two processes start in the same second.
            Directory.CreateDirectory(candidate);
            try
            {
                using var claim = new FileStream(System.IO.Path.Combine(candidate, ".run"), FileMode.CreateNew, FileAccess.Write);
                return new RunFolder(candidate);
            }
            catch (IOException) when (File.Exists(System.IO.Path.Combine(candidate, ".run")))
            {
                // Taken: try the next suffix.
            }
        }
        throw new IOException($"{parent}: could not find a free run folder name.");
    }

    /// <summary>The classes the run was started with, or null for a run written before runs kept them.</summary>
    public IReadOnlyList<string>? ReadLabels() => File.Exists(LabelsFile) ? File.ReadAllLines(LabelsFile) : null;

    /// <summary>Checks that <see cref="WriteLabels"/> can write <paramref name="labels"/>; call it before creating a run.</summary>
    /// <exception cref="Data.DataException">A class name holds a line break (a folder name can).</exception>
    internal static void CheckLabels(IReadOnlyList<string> labels)
    {
        if (labels.FirstOrDefault(l => l.Contains('\n', StringComparison.Ordinal) || l.Contains('\r', StringComparison.Ordinal)) is { } bad)
        {
            throw new Data.DataException($"class name '{bad.ReplaceLineEndings("\\n")}' holds a line break, which labels.txt cannot keep; rename its folder.");
        }
    }

    /// <summary>Writes <see cref="LabelsFile"/>.</summary>
    internal void WriteLabels(IReadOnlyList<string> labels)
    {
        CheckLabels(labels);
        AtomicFile.WriteAllText(LabelsFile, string.Concat(labels.Select(l => l + "\n")));
    }

    /// <summary>An existing run (for resume, evaluate, predict, export).</summary>
    /// <exception cref="DirectoryNotFoundException">Not a run folder.</exception>
    public static RunFolder Open(string path)
    {
        if (!Directory.Exists(path) || !File.Exists(System.IO.Path.Combine(path, ".run")))
        {
            throw new DirectoryNotFoundException($"{path}: not a TLDsl run folder (no .run marker).");
        }
        return new RunFolder(System.IO.Path.GetFullPath(path));
    }
}
