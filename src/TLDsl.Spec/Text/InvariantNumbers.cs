using System.Globalization;

namespace TLDsl.Spec.Text;

/// <summary>Culture-proof number parsing and printing: YAML numbers never depend on the user's locale.</summary>
public static class InvariantNumbers
{
    /// <summary>True when the text is an optional sign followed by ASCII digits only.</summary>
    /// <param name="text">The scalar text.</param>
    public static bool IsIntegerText(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var start = text[0] == '-' || text[0] == '+' ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }

        for (var i = start; i < text.Length; i++)
        {
            if (text[i] < '0' || text[i] > '9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses a YAML core-schema float or integer (<c>1</c>, <c>-0.5</c>, <c>1e-3</c>, <c>.5</c>) with invariant culture.</summary>
    /// <param name="text">The scalar text.</param>
    /// <param name="value">The parsed value.</param>
    public static bool TryParseDouble(string text, out double value)
    {
        value = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        // Only ASCII digits, sign, point and exponent: rejects "NaN", "Infinity", thousands separators, culture signs.
        foreach (var c in text)
        {
            if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            {
                return false;
            }
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && !double.IsInfinity(value) && !double.IsNaN(value);
    }

    /// <summary>Prints a number the way YAML and C# read it back, whatever the current culture ("R" round-trip).</summary>
    /// <param name="value">The number.</param>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
