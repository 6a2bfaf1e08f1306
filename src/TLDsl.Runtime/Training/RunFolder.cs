using System;
using System.Globalization;
using System.IO;

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
