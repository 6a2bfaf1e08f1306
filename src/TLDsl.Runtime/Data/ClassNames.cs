using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Spec.Validation;

namespace TLDsl.Runtime.Data;

/// <summary>Class names taken from data (<c>labels: from_data</c>) obey the rules of listed labels: each becomes a
/// C# identifier (<see cref="LabelNames"/>, TLD0014/TLD0015) and a line of the run's labels.txt.</summary>
internal static class ClassNames
{
    /// <summary>The subfolder names of an image folder as labels, in ordinal order.</summary>
    /// <param name="root">The image folder, for messages.</param>
    /// <param name="folders">Its subfolder names, sorted ordinally.</param>
    /// <exception cref="DataException">A name cannot be a label (every problem is listed), or fewer than two classes.</exception>
    public static IReadOnlyList<string> FromFolders(string root, IReadOnlyList<string> folders)
    {
        var problems = new List<string>();
        var identifiers = new Dictionary<string, string>(System.StringComparer.Ordinal);
        foreach (var name in folders)
        {
            var path = $"'{Printable(Path.Combine(root, name))}'";
            var identifier = LabelNames.ToIdentifier(name);
            if (identifier is null)
            {
                problems.Add($"{path}: a class name needs at least one letter or digit");
            }
            else if (name.StartsWith('.'))
            {
                problems.Add($"{path}: a hidden folder (its name starts with '.') cannot be a class");
            }
            else if (name.Any(char.IsControl))
            {
                problems.Add($"{path}: a class name cannot hold control characters (labels.txt keeps one name a line)");
            }
            else if (identifiers.TryGetValue(identifier, out var first))
            {
                problems.Add($"{path}: '{first}' and '{name}' both become the label identifier '{identifier}'");
            }
            else
            {
                identifiers[identifier] = name;
            }
        }

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

    /// <summary>A name with its control characters written as \uXXXX, so that a message stays one readable line.</summary>
    internal static string Printable(string name) =>
        string.Concat(name.Select(c => char.IsControl(c) ? "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) : c.ToString()));
}
