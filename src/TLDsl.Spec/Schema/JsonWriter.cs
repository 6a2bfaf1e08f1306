using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TLDsl.Spec.Schema;

/// <summary>
/// A minimal JSON writer for the schema (System.Text.Json is not available to a netstandard2.0 analyzer without
/// extra dependencies). Values are built as ordered dictionaries and lists, then written with two-space indentation.
/// </summary>
internal static class JsonWriter
{
    public static string Write(object? value)
    {
        var builder = new StringBuilder();
        WriteValue(builder, value, 0);
        builder.Append('\n');
        return builder.ToString();
    }

    private static void WriteValue(StringBuilder b, object? value, int indent)
    {
        switch (value)
        {
            case null: b.Append("null"); break;
            case bool flag: b.Append(flag ? "true" : "false"); break;
            case string text: WriteString(b, text); break;
            case int number: b.Append(number.ToString(CultureInfo.InvariantCulture)); break;
            case double number: b.Append(Text.InvariantNumbers.Format(number)); break;
            case IEnumerable<KeyValuePair<string, object?>> obj: WriteObject(b, obj, indent); break;
            case System.Collections.IEnumerable list: WriteArray(b, list, indent); break;
            default: WriteString(b, value.ToString() ?? string.Empty); break;
        }
    }

    private static void WriteObject(StringBuilder b, IEnumerable<KeyValuePair<string, object?>> obj, int indent)
    {
        b.Append('{');
        var first = true;
        foreach (var pair in obj)
        {
            b.Append(first ? "\n" : ",\n");
            first = false;
            b.Append(' ', (indent + 1) * 2);
            WriteString(b, pair.Key);
            b.Append(": ");
            WriteValue(b, pair.Value, indent + 1);
        }

        if (!first)
        {
            b.Append('\n').Append(' ', indent * 2);
        }

        b.Append('}');
    }

    private static void WriteArray(StringBuilder b, System.Collections.IEnumerable list, int indent)
    {
        // Short lists of scalars stay on one line (enums, required keys).
        var items = new List<object?>();
        foreach (var item in list)
        {
            items.Add(item);
        }

        var simple = items.TrueForAll(i => i is null or string or bool or int or double);
        b.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (simple)
            {
                b.Append(i == 0 ? string.Empty : ", ");
            }
            else
            {
                b.Append(i == 0 ? "\n" : ",\n").Append(' ', (indent + 1) * 2);
            }

            WriteValue(b, items[i], indent + 1);
        }

        if (!simple && items.Count > 0)
        {
            b.Append('\n').Append(' ', indent * 2);
        }

        b.Append(']');
    }

    private static void WriteString(StringBuilder b, string text)
    {
        b.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        b.Append('"');
    }
}
