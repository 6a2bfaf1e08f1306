using System.Globalization;
using System.Text;

namespace TLDsl.Spec.Text;

/// <summary>
/// User text as diagnostics quote it: control characters escaped (a newline or NUL in a value must not break the
/// one-line message or the terminal) and long values cut, so a 900,000-character name prints one short line.
/// </summary>
public static class UserText
{
    /// <summary>The most characters of a user value a message quotes; longer values end in "…".</summary>
    public const int MaxQuoted = 80;

    /// <summary>The value with control characters escaped and cut to <see cref="MaxQuoted"/> characters.</summary>
    /// <param name="value">The user's text.</param>
    public static string Quote(string? value) => Escape(value, MaxQuoted);

    /// <summary>
    /// The value with control characters escaped (<c>\n</c>, <c>\t</c>, <c>\0</c>, <c>\u0001</c>...) and, past
    /// <paramref name="maxLength"/> characters of the original, cut with "…".
    /// </summary>
    /// <param name="value">The text.</param>
    /// <param name="maxLength">The most characters of the original kept.</param>
    public static string Escape(string? value, int maxLength)
    {
        if (value is null)
        {
            return string.Empty;
        }

        var cut = value.Length > maxLength;
        var length = cut ? maxLength : value.Length;
        if (!cut && !HasControl(value))
        {
            return value;
        }

        var sb = new StringBuilder(length + 8);
        for (var i = 0; i < length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return cut ? sb.Append('…').ToString() : sb.ToString();
    }

    private static bool HasControl(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
