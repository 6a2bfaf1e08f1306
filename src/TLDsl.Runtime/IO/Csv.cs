using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace TLDsl.Runtime.IO;

/// <summary>
/// The one CSV reader and writer of the runtime (image lists, metrics logs, reports). RFC 4180 quoting: a field may be
/// quoted, <c>""</c> inside quotes is a quote, and quoted fields may hold commas and line ends. One trimming rule:
/// whitespace around an unquoted field is not part of it; a quoted field is kept exactly. Lines end with <c>\n</c> or
/// <c>\r\n</c>; blank lines are skipped; a final line end is optional.
/// </summary>
internal static class Csv
{
    /// <summary>The field as written in a record: quoted only where reading it back unquoted would change it.</summary>
    public static string Escape(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        bool edgeSpace = field.Length > 0 && (char.IsWhiteSpace(field[0]) || char.IsWhiteSpace(field[^1]));
        if (!edgeSpace && field.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return field;
        }
        return "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Splits CSV text into records, each with the 1-based line it starts on.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="source">The file, named in error messages.</param>
    /// <exception cref="InvalidDataException">The quoting is malformed; the message reads <c>source(line): what is wrong</c>.</exception>
    public static List<(int Line, List<string> Fields)> ReadRecords(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1;
        int recordLine = 1;
        bool inQuotes = false;
        bool wasQuoted = false;
        // Whether the record has anything besides whitespace: a blank line is no record.
        bool any = false;

        void EndField()
        {
            fields.Add(wasQuoted ? field.ToString() : field.ToString().Trim());
            field.Clear();
            wasQuoted = false;
        }

        void EndRecord()
        {
            EndField();
            if (any)
            {
                records.Add((recordLine, fields));
            }
            fields = [];
            any = false;
        }

        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                    continue;
                }
                if (c == '\n')
                {
                    line++;
                }
                field.Append(c);
                continue;
            }

            switch (c)
            {
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case ',':
                    EndField();
                    any = true;
                    break;
                case '"' when wasQuoted:
                    throw Error(source, line, "text after a closing quote; expected ',' or the end of the line");
                case '"' when field.ToString().Trim().Length == 0:
                    field.Clear();
                    inQuotes = true;
                    wasQuoted = true;
                    any = true;
                    break;
                case '"':
                    throw Error(source, line, "a quote inside an unquoted field; quote the whole field and double the quote");
                case var _ when char.IsWhiteSpace(c):
                    if (!wasQuoted)
                    {
                        field.Append(c);
                    }
                    break;
                default:
                    if (wasQuoted)
                    {
                        throw Error(source, line, "text after a closing quote; expected ',' or the end of the line");
                    }
                    field.Append(c);
                    any = true;
                    break;
            }
        }

        if (inQuotes)
        {
            throw Error(source, recordLine, "a quoted field is not closed");
        }
        EndRecord();
        return records;
    }

    private static InvalidDataException Error(string source, int line, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{source}({line}): {what}."));
}
