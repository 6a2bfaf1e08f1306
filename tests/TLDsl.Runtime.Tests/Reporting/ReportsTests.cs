using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Runtime.Tests.Reporting;

public sealed class ReportsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-reports-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Classification_report_table()
    {
        string report = Reports.ClassificationReport(ClassificationMetricsTests.Example());
        string[] lines = report.Split('\n');
        string[] Cells(string prefix) => lines.Single(l => l.TrimStart().StartsWith(prefix + " ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "precision", "recall", "f1-score", "support" }, lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(new[] { "a", "0.5000", "0.5000", "0.5000", "2" }, Cells("a"));
        Assert.Equal(new[] { "b", "0.2500", "0.5000", "0.3333", "2" }, Cells("b"));
        Assert.Equal(new[] { "c", "0.0000", "0.0000", "0.0000", "2" }, Cells("c"));
        Assert.Equal(new[] { "accuracy", "0.3333", "6" }, Cells("accuracy"));
        Assert.Equal(new[] { "macro", "avg", "0.2500", "0.3333", "0.2778", "6" }, Cells("macro"));
        Assert.Equal(new[] { "weighted", "avg", "0.2500", "0.3333", "0.2778", "6" }, Cells("weighted"));
        Assert.Contains("loss 0.7500", report, StringComparison.Ordinal);
        // Columns line up: every number column ends at the same offset.
        Assert.Equal(lines[0].Length, lines.Single(l => l.TrimStart().StartsWith("a ", StringComparison.Ordinal)).Length);
    }

    [Fact]
    public void Confusion_csv()
    {
        string path = Path.Combine(_dir, "confusion.csv");
        Reports.WriteConfusionCsv(new[,] { { 5, 1 }, { 0, 7 } }, ["cat", "dog, big"], path);
        Assert.Equal("true\\predicted,cat,\"dog, big\"\n" + "cat,5,1\n" + "\"dog, big\",0,7\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
        Assert.Throws<ArgumentException>(() => Reports.WriteConfusionCsv(new int[2, 2], ["a"], path));
    }

    [Fact]
    public void Summary_json()
    {
        string path = Path.Combine(_dir, "summary.json");
        var m = ClassificationMetricsTests.Example();
        Reports.WriteSummary(new RunSummary("Fashion", 5, 2345, "early stopping", 61.5, 3, "valid.accuracy", double.NaN, m), path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        Assert.Equal("Fashion", root.GetProperty("pipeline").GetString());
        Assert.Equal(2345, root.GetProperty("steps").GetInt64());
        Assert.Equal(3, root.GetProperty("best_epoch").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("best_value").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("test").ValueKind);
        var v = root.GetProperty("validation");
        Assert.Equal(2.0 / 6, v.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(0.75, v.GetProperty("loss").GetDouble());
        Assert.Equal("c", v.GetProperty("per_class")[2].GetProperty("label").GetString());
        Assert.Equal(0, v.GetProperty("per_class")[2].GetProperty("precision").GetDouble());
        Assert.Equal(2, v.GetProperty("confusion_matrix")[2][1].GetInt32());
        Assert.Single(Directory.GetFiles(_dir));
    }
}
