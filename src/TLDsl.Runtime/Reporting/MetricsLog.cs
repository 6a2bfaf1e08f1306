using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Reporting;

/// <summary>One row of <c>metrics.csv</c>: what one epoch did.</summary>
/// <param name="Epoch">Epoch number, counted across all phases (the first epoch of the run is 1).</param>
/// <param name="Phase">Name of the phase the epoch belongs to.</param>
/// <param name="Step">Optimizer steps taken since the start of the run, at the end of this epoch.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch (of the head's parameter group).</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="TrainAccuracy">Training accuracy over the epoch.</param>
/// <param name="ValidLoss">Validation loss, when there is a validation split.</param>
/// <param name="ValidAccuracy">Validation accuracy.</param>
/// <param name="ValidTop5">Validation top-5 (top-n for fewer than 5 classes) accuracy.</param>
/// <param name="ValidMacroF1">Validation macro-F1.</param>
/// <param name="Seconds">Wall-clock seconds the epoch took (training and validation).</param>
/// <param name="FeatureCacheSeconds">Seconds spent computing cached frozen features in this epoch, if any.</param>
public sealed record EpochRecord(int Epoch, string Phase, long Step, double LearningRate, double TrainLoss,
    double TrainAccuracy, double? ValidLoss, double? ValidAccuracy, double? ValidTop5, double? ValidMacroF1,
    double Seconds, double? FeatureCacheSeconds);

/// <summary>The per-epoch metrics file of a run (<c>metrics.csv</c>): UTF-8 without BOM, <c>\n</c> line ends, a header
/// row, then one row per epoch. Numbers use the invariant culture in their shortest round-trip form (so reading gives
/// back exactly the doubles written; <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> are spelled so); a missing
/// optional value is an empty field; text is quoted per RFC 4180 when needed. The column order is fixed:
/// <see cref="Header"/>.</summary>
public sealed class MetricsLog
{
    /// <summary>The column names, in file order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "epoch", "phase", "step", "learning_rate", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy",
        "valid_top5", "valid_macro_f1", "seconds", "feature_cache_seconds",
    ];

    /// <summary>The header line (without line end).</summary>
    public static string Header { get; } = string.Join(",", Columns);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly object _gate = new();

    /// <summary>Opens (does not yet create) the log at <paramref name="csvPath"/>.</summary>
    /// <param name="csvPath">Path of the CSV file; its folder must exist when a row is appended.</param>
    public MetricsLog(string csvPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(csvPath);
        Path = csvPath;
    }

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>Appends one row (writing the header first when the file is new or empty) and flushes it to disk.</summary>
    /// <exception cref="InvalidDataException">The existing file has a different header.</exception>
    public void Append(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            using var stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            var text = new StringBuilder();
            if (stream.Length == 0)
            {
                text.Append(Header).Append('\n');
            }
            else
            {
                CheckHeader(stream);
                stream.Seek(-1, SeekOrigin.End);
                if (stream.ReadByte() != '\n')
                {
                    // A row cut short by a crash: end it so that the new row stands on its own line (Read reports it).
                    text.Append('\n');
                }
                stream.Seek(0, SeekOrigin.End);
            }
            text.Append(FormatRow(record)).Append('\n');
            byte[] bytes = Utf8.GetBytes(text.ToString());
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Reads every row back, exactly as written. A missing file gives an empty list.</summary>
    /// <exception cref="InvalidDataException">The header or a row is malformed; the message names the line.</exception>
    public IReadOnlyList<EpochRecord> Read()
    {
        lock (_gate)
        {
            if (!File.Exists(Path))
            {
                return [];
            }
            return Parse(File.ReadAllText(Path, Utf8), Path);
        }
    }

    /// <summary>For resume: keeps only the rows with <see cref="EpochRecord.Epoch"/> &lt;= <paramref name="epoch"/>.
    /// The new content is written to a temporary file beside the log, flushed, and renamed over it, so the log is
    /// never seen half-written. Nothing happens when the file does not exist.</summary>
    /// <param name="epoch">The last epoch to keep (0 keeps only the header).</param>
    public void TruncateAfter(int epoch)
    {
        lock (_gate)
        {
            if (!File.Exists(Path))
            {
                return;
            }
            var kept = new StringBuilder().Append(Header).Append('\n');
            foreach (var row in Parse(File.ReadAllText(Path, Utf8), Path))
            {
                if (row.Epoch <= epoch)
                {
                    kept.Append(FormatRow(row)).Append('\n');
                }
            }
            AtomicFile.WriteAllText(Path, kept.ToString());
        }
    }

    /// <summary>Formats one record as a CSV line (no line end), in <see cref="Columns"/> order.</summary>
    public static string FormatRow(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return string.Join(",",
            Format(record.Epoch), Csv.Escape(record.Phase), Format(record.Step), Format(record.LearningRate),
            Format(record.TrainLoss), Format(record.TrainAccuracy), Format(record.ValidLoss), Format(record.ValidAccuracy),
            Format(record.ValidTop5), Format(record.ValidMacroF1), Format(record.Seconds), Format(record.FeatureCacheSeconds));
    }

    /// <summary>Parses the whole text of a metrics file.</summary>
    /// <param name="text">The file content.</param>
    /// <param name="source">Name used in error messages.</param>
    public static IReadOnlyList<EpochRecord> Parse(string text, string source = "metrics.csv")
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = new List<EpochRecord>();
        if (text.Length == 0)
        {
            return rows;
        }
        var lines = Csv.ReadRecords(text, source);
        if (lines.Count == 0 || string.Join(",", lines[0].Fields) != Header)
        {
            throw new InvalidDataException($"{source}: line 1 is not the metrics header '{Header}'.");
        }
        for (int i = 1; i < lines.Count; i++)
        {
            var (line, f) = lines[i];
            if (f.Count != Columns.Count)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: line {line} has {f.Count} fields, expected {Columns.Count} (a row cut short?)."));
            }
            try
            {
                rows.Add(new EpochRecord(
                    int.Parse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture), f[1],
                    long.Parse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture),
                    ParseDouble(f[3]), ParseDouble(f[4]), ParseDouble(f[5]), ParseOptional(f[6]), ParseOptional(f[7]),
                    ParseOptional(f[8]), ParseOptional(f[9]), ParseDouble(f[10]), ParseOptional(f[11])));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: line {line} has a malformed number: {e.Message}"), e);
            }
        }
        return rows;
    }

    private static void CheckHeader(FileStream stream)
    {
        var buffer = new byte[Utf8.GetByteCount(Header) + 1];
        stream.Seek(0, SeekOrigin.Begin);
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        string head = Utf8.GetString(buffer, 0, read);
        if (head != Header + "\n")
        {
            throw new InvalidDataException($"{stream.Name}: exists but does not start with the metrics header '{Header}'.");
        }
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(double? value) => value is { } v ? Format(v) : "";

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static double ParseDouble(string s) =>
        double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double? ParseOptional(string s) => s.Length == 0 ? null : ParseDouble(s);
}
