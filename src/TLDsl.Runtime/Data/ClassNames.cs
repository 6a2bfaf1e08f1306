using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Spec.Validation;

namespace TLDsl.Runtime.Data;

/// <summary>Class names taken from data (<c>labels: from_data</c>) obey the rules of listed labels: each becomes a
/// C# identifier (<see cref="LabelNames"/>, TLD0014/TLD0015) and a line of the run's labels.txt; and a classifier
/// needs two classes.</summary>
internal static class ClassNames
{
    /// <summary>The subfolder names of an image folder as labels, in ordinal order.</summary>
    /// <param name="root">The image folder, for messages.</param>
    /// <param name="folders">Its subfolder names, sorted ordinally.</param>
    /// <exception cref="DataException">A name cannot be a label or is a hidden folder (every problem is listed), or
    /// there are fewer than two.</exception>
    public static IReadOnlyList<string> FromFolders(string root, IReadOnlyList<string> folders)
    {
        var problems = Problems(folders, name => $"'{Printable(Path.Combine(root, name))}'", hiddenIsAProblem: true);
        if (problems.Count > 0)
        {
            throw new DataException(
                $"Image folder '{root}' has subfolders that cannot be classes (labels: from_data makes every subfolder a class): " +
                $"{string.Join("; ", problems)}. Rename them or move them out of the image folder.");
        }

        if (folders.Count < 2)
        {
            throw new DataException(
                $"Image folder '{root}' has one class folder ('{folders[0]}'); a classifier needs at least two classes, one subfolder each.");
        }

        return [.. folders];
    }

    /// <summary>The distinct labels of a CSV file as the labels, in ordinal order.</summary>
    /// <param name="csvPath">The file, for messages.</param>
    /// <param name="labels">Its distinct labels, sorted ordinally.</param>
    /// <exception cref="DataException">A name cannot be a label (every problem is listed), or there are fewer than two.</exception>
    public static IReadOnlyList<string> FromCsv(string csvPath, IReadOnlyList<string> labels)
    {
        var problems = Problems(labels, name => $"label '{Printable(name)}'", hiddenIsAProblem: false);
        if (problems.Count > 0)
        {
            throw new DataException(
                $"{csvPath}: labels that cannot be classes (labels: from_data makes every label in the file a class): {string.Join("; ", problems)}.");
        }

        if (labels.Count < 2)
        {
            throw new DataException($"{csvPath}: every row has the label '{labels[0]}'; a classifier needs at least two classes.");
        }

        return [.. labels];
    }

    private static List<string> Problems(IReadOnlyList<string> names, System.Func<string, string> describe, bool hiddenIsAProblem)
    {
        var problems = new List<string>();
        var identifiers = new Dictionary<string, string>(System.StringComparer.Ordinal);
        foreach (var name in names)
        {
            var identifier = LabelNames.ToIdentifier(name);
            if (identifier is null)
            {
                problems.Add($"{describe(name)}: a class name needs at least one letter or digit");
            }
            else if (hiddenIsAProblem && name.StartsWith('.'))
            {
                problems.Add($"{describe(name)}: a hidden folder (its name starts with '.') cannot be a class");
            }
            else if (name.Any(char.IsControl))
            {
                problems.Add($"{describe(name)}: a class name cannot hold control characters (labels.txt keeps one name a line)");
            }
            else if (identifiers.TryGetValue(identifier, out var first))
            {
                problems.Add($"{describe(name)}: '{first}' and '{name}' both become the label identifier '{identifier}'");
            }
            else
            {
                identifiers[identifier] = name;
            }
        }

        return problems;
    }

    /// <summary>A name with its control characters written as \uXXXX, so that a message stays one readable line.</summary>
    internal static string Printable(string name) =>
        string.Concat(name.Select(c => char.IsControl(c) ? "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) : c.ToString()));
}
