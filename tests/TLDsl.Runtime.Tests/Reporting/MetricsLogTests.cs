using System;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Runtime.Tests.Reporting;

public sealed class MetricsLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-metrics-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static EpochRecord[] Sample() =>
    [
        new(1, "head", 469, 1e-3, 0.1 + 0.2, 2.0 / 3, 0.45, 0.8125, 0.99, 0.7, 12.5, 4.25),
        new(2, "head", 938, -1.5e-300, double.Epsilon, 1, null, null, null, null, 11, null),
        new(3, "layer4, \"unfrozen\"", 1407, 3.3333333333333335e-5, double.NaN, 0.5, double.PositiveInfinity,
            double.NegativeInfinity, 1, 0, 0.1, 0),
        new(4, "tail\nline", 1876, 1e-4, -0.0, 0.25, 1e21, 123456789.125, 0.5, 0.5, 1e-7, null),
        new(5, "", long.MaxValue, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ];

    private static CultureInfo Hostile()
    {
        var culture = (CultureInfo)CultureInfo.GetCultureInfo("sv-SE").Clone();
        culture.NumberFormat.NumberDecimalSeparator = ",";
        culture.NumberFormat.NumberGroupSeparator = "\u00a0";
        culture.NumberFormat.NegativeSign = "\u2212";
        culture.NumberFormat.PositiveInfinitySymbol = "oändligt";
        culture.NumberFormat.NaNSymbol = "ickenummer";
        return culture;
    }

    [Fact]
    public void Round_trips_exactly_under_a_hostile_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        var savedUi = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = Hostile();
            Assert.Equal("\u22121,5", (-1.5).ToString(CultureInfo.CurrentCulture)); // the culture really is hostile
            string path = Path.Combine(_dir, "metrics.csv");
            var log = new MetricsLog(path);
            foreach (var r in Sample())
            {
                log.Append(r);
            }
            var back = log.Read();
            Assert.Equal(Sample(), back);
            Assert.True(double.IsNegative(back[3].TrainLoss)); // -0.0 keeps its sign

            string text = File.ReadAllText(path);
            Assert.DoesNotContain("\u2212", text, StringComparison.Ordinal);
            Assert.DoesNotContain("ickenummer", text, StringComparison.Ordinal);
            string[] lines = text.Split('\n');
            Assert.Equal("epoch,phase,step,learning_rate,train_loss,train_accuracy,valid_loss,valid_accuracy,valid_top5,valid_macro_f1,seconds,feature_cache_seconds", lines[0]);
            Assert.Equal("1,head,469,0.001,0.30000000000000004,0.6666666666666666,0.45,0.8125,0.99,0.7,12.5,4.25", lines[1]);
            Assert.Equal("2,head,938,-1.5E-300,5E-324,1,,,,,11,", lines[2]);
            Assert.StartsWith("3,\"layer4, \"\"unfrozen\"\"\",1407,3.3333333333333335E-05,NaN,0.5,Infinity,-Infinity,", lines[3], StringComparison.Ordinal);
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
            Assert.False(text.StartsWith('\uFEFF'));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
            CultureInfo.CurrentUICulture = savedUi;
        }
    }

    [Fact]
    public void Truncate_after_keeps_earlier_rows_exactly_and_leaves_no_temp_file()
    {
        string path = Path.Combine(_dir, "metrics.csv");
        var log = new MetricsLog(path);
        foreach (var r in Sample())
        {
            log.Append(r);
        }
        log.TruncateAfter(3);

        string expected = MetricsLog.Header + "\n" + string.Concat(Sample().Take(3).Select(r => MetricsLog.FormatRow(r) + "\n"));
        Assert.Equal(expected, File.ReadAllText(path));
        Assert.Equal(Sample().Take(3), log.Read());
        Assert.Equal(new[] { "metrics.csv" }, Directory.GetFiles(_dir).Select(Path.GetFileName));

        // Resume appends after the kept rows.
        log.Append(Sample()[3]);
        Assert.Equal(Sample().Take(4), log.Read());

        log.TruncateAfter(0);
        Assert.Equal(MetricsLog.Header + "\n", File.ReadAllText(path));
        Assert.Empty(log.Read());
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Truncate_of_a_missing_file_does_nothing()
    {
        var log = new MetricsLog(Path.Combine(_dir, "none.csv"));
        log.TruncateAfter(2);
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.Empty(log.Read());
    }

    [Fact]
    public void A_failed_truncate_leaves_the_file_as_it_was()
    {
        string path = Path.Combine(_dir, "metrics.csv");
        File.WriteAllText(path, MetricsLog.Header + "\n1,head,1,0.1,1,1,,,,,1,\n2,head,2,oops,1,1,,,,,1,\n");
        string before = File.ReadAllText(path);
        var e = Assert.Throws<InvalidDataException>(() => new MetricsLog(path).TruncateAfter(1));
        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Malformed_files_are_reported_with_their_line()
    {
        string path = Path.Combine(_dir, "metrics.csv");
        File.WriteAllText(path, "epoch,loss\n1,2\n");
        Assert.Contains("line 1", Assert.Throws<InvalidDataException>(() => new MetricsLog(path).Read()).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => new MetricsLog(path).Append(Sample()[0]));

        // A row cut short (a crash mid-write) is reported, and a later append still starts on its own line.
        File.WriteAllText(path, MetricsLog.Header + "\n1,head,469,0.0");
        var log = new MetricsLog(path);
        Assert.Contains("line 2", Assert.Throws<InvalidDataException>(() => log.Read()).Message, StringComparison.Ordinal);
        log.Append(Sample()[1]);
        Assert.Equal(MetricsLog.FormatRow(Sample()[1]), File.ReadAllText(path).Split('\n')[2]);
    }
}
