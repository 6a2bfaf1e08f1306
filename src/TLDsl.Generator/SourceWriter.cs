using System.Globalization;
using System.Text;

namespace TLDsl.Generator;

/// <summary>A small indented writer with "\n" line endings, so output is identical on every OS.</summary>
internal sealed class SourceWriter
{
    private static readonly char[] NumberMarks = { '.', 'E', 'e' };
    private readonly StringBuilder _sb = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0)
        {
            _sb.Append(' ', _indent * 4);
            _sb.Append(text);
        }
        _sb.Append('\n');
        return this;
    }

    public SourceWriter Open(string text)
    {
        Line(text);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public override string ToString() => _sb.ToString();

    /// <summary>A C# string literal: verbatim for multi-line text without carriage returns, escaped otherwise.</summary>
    public static string Literal(string? value)
    {
        if (value is null)
        {
            return "null";
        }
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (char.IsControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085')
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
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>Multi-line text as a verbatim literal when that is safe (no CR or other line separators), else escaped.</summary>
    public static string TextLiteral(string value)
    {
        foreach (char c in value)
        {
            if (c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085' || (char.IsControl(c) && c != '\n' && c != '\t'))
            {
                return Literal(value);
            }
        }
        return "@\"" + value.Replace("\"", "\"\"") + "\"";
    }

    public static string Number(double value)
    {
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        return s.IndexOfAny(NumberMarks) >= 0 ? s : s + ".0";
    }

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
