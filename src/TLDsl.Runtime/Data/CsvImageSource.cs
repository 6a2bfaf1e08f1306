using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Data;

/// <summary>A CSV file of <c>path,label</c> rows (RFC 4180: fields may be quoted, <c>""</c> is a quote; whitespace around
/// an unquoted field is dropped). The first row is a header when it reads <c>path,label</c> (or file/filename/image and class/category/target, any case). Relative
/// paths are resolved against <c>root</c>, or the CSV file's folder when no root is given. Blank lines are skipped.</summary>
public sealed class CsvImageSource : IImageSource
{
    private static readonly string[] PathHeaders = ["path", "file", "filename", "file_name", "filepath", "image", "image_path"];
    private static readonly string[] LabelHeaders = ["label", "class", "category", "target"];

    private readonly string[] _files;
    private readonly int[] _labelIds;
    private readonly string _csvPath;

    /// <summary>Reads and checks the CSV file; every listed image must exist.</summary>
    /// <param name="csvPath">The CSV file.</param>
    /// <param name="root">The folder relative paths start from; null for the CSV file's folder.</param>
    /// <param name="labels">The pipeline's labels, in order; null takes the distinct labels of the file, sorted ordinally.</param>
    /// <exception cref="DataException">The file is missing or empty; a row is malformed, names a missing image or a
    /// label the pipeline does not list (the message gives the file and line); with labels from the file, a label
    /// cannot be a class name or there are fewer than two.</exception>
    public CsvImageSource(string csvPath, string? root, IReadOnlyList<string>? labels)
    {
        ArgumentNullException.ThrowIfNull(csvPath);
        _csvPath = csvPath;
        string text;
        try
        {
            text = File.ReadAllText(csvPath, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"Cannot read CSV file '{csvPath}': {e.Message}", e);
        }

        var baseDir = root ?? Path.GetDirectoryName(Path.GetFullPath(csvPath)) ?? ".";
        if (root is not null && !Directory.Exists(root))
        {
            throw new DataException($"Image root folder '{root}' for CSV file '{csvPath}' does not exist.");
        }

        List<(int Line, List<string> Fields)> rows;
        try
        {
            rows = Csv.ReadRecords(text, csvPath);
        }
        catch (InvalidDataException e)
        {
            throw new DataException(e.Message, e);
        }

        if (rows.Count > 0 && IsHeader(rows[0].Fields))
        {
            rows.RemoveAt(0);
        }

        if (rows.Count == 0)
        {
            throw new DataException($"CSV file '{csvPath}' holds no image rows; expected rows of 'path,label'.");
        }

        foreach (var (line, fields) in rows)
        {
            if (fields.Count != 2)
            {
                throw new DataException(
                    $"{csvPath}({line}): expected 2 fields 'path,label', found {fields.Count}. Quote a field that contains a comma.");
            }

            if (fields[0].Length == 0 || fields[1].Length == 0)
            {
                throw new DataException($"{csvPath}({line}): the {(fields[0].Length == 0 ? "path" : "label")} is empty.");
            }
        }

        Labels = labels is null
            ? rows.Select(r => r.Fields[1]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()
            : SourceChecks.CheckLabels(labels, csvPath);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Labels.Count; i++)
        {
            ids[Labels[i]] = i;
        }

        _files = new string[rows.Count];
        _labelIds = new int[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var (line, fields) = rows[i];
            if (!ids.TryGetValue(fields[1], out var id))
            {
                var hint = Labels.FirstOrDefault(l => string.Equals(l, fields[1], StringComparison.OrdinalIgnoreCase));
                throw new DataException(
                    $"{csvPath}({line}): label '{fields[1]}' is one of the labels in the data that the pipeline does not list" +
                    (hint is null ? string.Empty : $" (did you mean '{hint}'?)") + $". Allowed labels: {SourceChecks.List(Labels)}.");
            }

            var path = Path.Combine(baseDir, fields[0]);
            if (!File.Exists(path))
            {
                var first = i == 0 ? " (a header row must read 'path,label')" : string.Empty;
                throw new DataException($"{csvPath}({line}): image '{fields[0]}' not found at '{path}'{first}.");
            }

            _files[i] = path;
            _labelIds[i] = id;
        }

        // After the rows, so that a missing image is reported at its line first.
        if (labels is null)
        {
            ClassNames.FromCsv(csvPath, Labels);
        }
    }

    /// <inheritdoc/>
    public int Count => _files.Length;

    /// <inheritdoc/>
    public IReadOnlyList<string> Labels { get; }

    /// <inheritdoc/>
    public int LabelOf(int index)
    {
        SourceChecks.Index(index, Count);
        return _labelIds[index];
    }

    /// <inheritdoc/>
    public string NameOf(int index)
    {
        SourceChecks.Index(index, Count);
        return _files[index];
    }

    /// <inheritdoc/>
    public DecodedImage Decode(int index) => ImageDecoder.Decode(NameOf(index));

    /// <inheritdoc/>
    public override string ToString() => $"CSV file '{_csvPath}'";

    private static bool IsHeader(List<string> fields) =>
        fields.Count == 2
        && PathHeaders.Contains(fields[0].ToLowerInvariant())
        && LabelHeaders.Contains(fields[1].ToLowerInvariant());
}
