using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace TLDsl.Cli.Commands;

/// <summary>Invariant-culture formatting shared by the verbs.</summary>
internal static class Text
{
    public static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Count(long value) => value.ToString("N0", C);

    public static string Shape(IReadOnlyList<long>? shape) => shape is null ? "-" : "[" + string.Join(", ", shape.Select(d => d.ToString(C))) + "]";

    public static string Rate(double value) => value.ToString("0.###E+0", C);

    public static string Fixed(double value, int digits = 4) => value.ToString("F" + digits.ToString(C), C);

    public static string List(IReadOnlyCollection<string> items) => items.Count == 0 ? "(nothing)" : string.Join(", ", items);

    /// <summary>A <c>--format text|json</c> option.</summary>
    public static Option<string> FormatOption()
    {
        var option = new Option<string>("--format") { Description = "Output format: text or json.", DefaultValueFactory = _ => "text" };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }

    /// <summary>A <c>--checkpoint best|last</c> option.</summary>
    public static Option<string> CheckpointOption()
    {
        var option = new Option<string>("--checkpoint") { Description = "Which checkpoint of the run: best (by the monitored metric) or last.", DefaultValueFactory = _ => "best" };
        option.AcceptOnlyFromAmong("best", "last");
        return option;
    }

    public static Runtime.Prediction.CheckpointChoice Checkpoint(string value) =>
        value == "last" ? Runtime.Prediction.CheckpointChoice.Last : Runtime.Prediction.CheckpointChoice.Best;

    /// <summary>Writes JSON built by <paramref name="write"/> to standard output, indented, followed by a newline.</summary>
    public static void WriteJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }
        Console.Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>Fails with a user message when <paramref name="path"/> is not an existing run folder.</summary>
    public static void RequireRun(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new CliUserException($"{path}: run folder not found.");
        }
        if (!File.Exists(Path.Combine(path, ".run")))
        {
            throw new CliUserException($"{path}: not a TLDsl run folder (no .run marker); pass a folder that 'tldsl train' printed.");
        }
    }

    public static void RequireFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new CliUserException(Directory.Exists(path) ? $"{path}: is a folder; expected {what}." : $"{path}: {what} not found.");
        }
    }
}
