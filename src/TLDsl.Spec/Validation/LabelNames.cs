using System.Text;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Maps a label to the C# identifier of its enum member. The rule (documented in docs/pipeline-reference.md):
/// split at every character that is not a letter or digit (so <c>-</c>, <c>_</c>, space, <c>/</c> all separate words),
/// upper-case the first character of each word (invariant), keep the rest as written, join; prefix <c>_</c> when the
/// result starts with a digit. "t-shirt" → "TShirt", "ankle_boot" → "AnkleBoot", "T-shirt/top" → "TShirtTop", "3d" → "_3d".
/// </summary>
public static class LabelNames
{
    /// <summary>The identifier for <paramref name="label"/>, or null when it has no letter or digit.</summary>
    /// <param name="label">The label as written.</param>
    public static string? ToIdentifier(string label)
    {
        var builder = new StringBuilder(label.Length + 1);
        var startOfWord = true;
        foreach (var c in label)
        {
            if (!char.IsLetterOrDigit(c))
            {
                startOfWord = true;
                continue;
            }

            builder.Append(startOfWord ? char.ToUpperInvariant(c) : c);
            startOfWord = false;
        }

        if (builder.Length == 0)
        {
            return null;
        }

        if (char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }
}
