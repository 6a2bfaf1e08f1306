using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.IO;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Runtime.Tests.IO;

public sealed class CsvTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-csv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[][] Fields(string text) =>
        Csv.ReadRecords(text, "t.csv").Select(r => r.Fields.ToArray()).ToArray();

    [Fact]
    public void Quoted_fields_keep_commas_quotes_line_ends_and_spaces()
    {
        var records = Csv.ReadRecords("a,\"b, \"\"c\"\"\r\nd \"\r\n  \"  e \"  ,f\n", "t.csv");
        Assert.Equal(2, records.Count);
        Assert.Equal([1, 3], records.Select(r => r.Line));
        Assert.Equal(["a", "b, \"c\"\r\nd "], records[0].Fields);
        Assert.Equal(["  e ", "f"], records[1].Fields);
    }

    [Fact]
    public void Unquoted_fields_are_trimmed_and_blank_lines_skipped()
    {
        var records = Csv.ReadRecords("  a , b\t\r\n\r\n   \n c,,d", "t.csv");
        Assert.Equal([1, 4], records.Select(r => r.Line));
        Assert.Equal([["a", "b"], ["c", "", "d"]], records.Select(r => r.Fields.ToArray()));
    }

    [Theory]
    [InlineData("a,b\nab\"c,d\n", "t.csv(2): a quote inside an unquoted field")]
    [InlineData("a,b\n\"ab\"c,d\n", "t.csv(2): text after a closing quote")]
    [InlineData("a,b\n\"ab\" \"c\",d\n", "t.csv(2): text after a closing quote")]
    [InlineData("a,b\nc,\"d\n\ne\n", "t.csv(2): a quoted field is not closed")]
    public void Malformed_quoting_is_one_error_naming_the_file_and_line(string text, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Csv.ReadRecords(text, "t.csv"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("")]
    [InlineData(" leading")]
    [InlineData("trailing\t")]
    [InlineData("a,b")]
    [InlineData("say \"hi\"")]
    [InlineData("two\r\nlines")]
    public void Escaped_fields_read_back_exactly(string field)
    {
        Assert.Equal([[field, "x"]], Fields(Csv.Escape(field) + ",x\n"));
    }

    [Fact]
    public void A_metrics_phase_with_edge_spaces_round_trips()
    {
        // The reader trims unquoted fields, so the writer must quote a phase that starts or ends with a space.
        var record = new EpochRecord(1, " head ", 1, 0.1, 1, 1, null, null, null, null, 1, null);
        var back = MetricsLog.Parse(MetricsLog.Header + "\n" + MetricsLog.FormatRow(record) + "\n");
        Assert.Equal(" head ", Assert.Single(back).Phase);
    }

    [Fact]
    public void A_stray_quote_in_a_metrics_file_is_reported_at_its_line()
    {
        // The metrics reader used to take it as part of the field.
        string path = Path.Combine(_dir, "metrics.csv");
        File.WriteAllText(path, MetricsLog.Header + "\n1,he\"ad,1,0.1,1,1,,,,,1,\n");
        var e = Assert.Throws<InvalidDataException>(() => new MetricsLog(path).Read());
        Assert.StartsWith(path + "(2): a quote inside an unquoted field", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_list_reports_malformed_quoting_as_a_data_error_with_its_line()
    {
        string csv = Path.Combine(_dir, "images.csv");
        File.WriteAllText(csv, "path,label\n\"a.png\"x,cat\n");
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, null));
        Assert.StartsWith(csv + "(2): text after a closing quote", e.Message, StringComparison.Ordinal);
    }
}
