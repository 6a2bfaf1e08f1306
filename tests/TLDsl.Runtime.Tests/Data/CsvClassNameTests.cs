using System;
using System.IO;
using TLDsl.Runtime.Data;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

/// <summary>With labels from a CSV file, its labels follow the same rules as listed ones.</summary>
public sealed class CsvClassNameTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Csv(params (string File, string Label)[] rows)
    {
        var lines = new System.Text.StringBuilder("path,label\n");
        foreach (var (file, label) in rows)
        {
            FolderImageSourceTests.Png(_dir.File(file), 5);
            lines.Append(file).Append(',').Append(label).Append('\n');
        }

        var path = _dir.File("list.csv");
        File.WriteAllText(path, lines.ToString());
        return path;
    }

    [Fact]
    public void Label_without_letter_or_digit_is_refused()
    {
        var csv = Csv(("a.png", "cat"), ("b.png", "---"));
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, null));
        Assert.Contains($"{csv}: labels that cannot be classes", e.Message, StringComparison.Ordinal);
        Assert.Contains("label '---': a class name needs at least one letter or digit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_with_the_same_identifier_are_refused()
    {
        var csv = Csv(("a.png", "ankle boot"), ("b.png", "ankle_boot"));
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, null));
        Assert.Contains("'ankle boot' and 'ankle_boot' both become the label identifier 'AnkleBoot'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_label_is_refused()
    {
        var csv = Csv(("a.png", "cat"), ("b.png", "cat"));
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, null));
        Assert.Contains($"{csv}: every row has the label 'cat'; a classifier needs at least two classes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listed_labels_are_not_re_checked()
    {
        // A pipeline that lists its labels has had them validated (TLD0014/TLD0015); one listed label is the spec's call.
        var csv = Csv(("a.png", "cat"), ("b.png", "cat"));
        Assert.Equal(["cat"], new CsvImageSource(csv, null, ["cat"]).Labels);
    }
}
