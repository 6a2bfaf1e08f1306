using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

public sealed class CsvImageSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public CsvImageSourceTests()
    {
        FolderImageSourceTests.Png(_dir.File("img", "one.png"), 1);
        FolderImageSourceTests.Png(_dir.File("img", "with, comma.png"), 2);
        FolderImageSourceTests.Png(_dir.File("img", "three.png"), 3);
    }

    public void Dispose() => _dir.Dispose();

    private string Csv(string text, string name = "list.csv")
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Header_quoted_fields_and_paths_relative_to_the_CSV()
    {
        var csv = Csv("path,label\r\nimg/one.png,cat\r\n\"img/with, comma.png\", \"dog\"\r\n\r\nimg/three.png,cat\r\n");
        var source = new CsvImageSource(csv, null, null);
        Assert.Equal(["cat", "dog"], source.Labels);
        Assert.Equal(3, source.Count);
        Assert.Equal([0, 1, 0], Enumerable.Range(0, 3).Select(source.LabelOf));
        Assert.Equal(Path.Combine(_dir.Path, "img/with, comma.png"), source.NameOf(1));
        Assert.Equal(2 / 255f, source.Decode(1).Pixels[0]);
    }

    [Fact]
    public void No_header_and_an_explicit_root()
    {
        var csv = Csv("three.png,dog\none.png,cat", Path.Combine("lists", "l.csv"));
        var source = new CsvImageSource(csv, Path.Combine(_dir.Path, "img"), ["dog", "cat"]);
        Assert.Equal(2, source.Count);
        Assert.Equal([0, 1], Enumerable.Range(0, 2).Select(source.LabelOf));
        Assert.Equal(3 / 255f, source.Decode(0).Pixels[0]);
    }

    [Fact]
    public void Escaped_quotes_in_a_quoted_field()
    {
        FolderImageSourceTests.Png(_dir.File("img", "say \"hi\".png"), 9);
        var csv = Csv("\"img/say \"\"hi\"\".png\",cat\n");
        var source = new CsvImageSource(csv, null, ["cat"]);
        Assert.EndsWith("say \"hi\".png", source.NameOf(0), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_image_names_CSV_and_line()
    {
        var csv = Csv("path,label\nimg/one.png,cat\nimg/gone.png,cat\n");
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, null));
        Assert.Contains($"{csv}(3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("img/gone.png", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unlisted_label_names_CSV_line_and_allowed_labels()
    {
        var csv = Csv("img/one.png,cat\nimg/three.png,Dog\n");
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, ["cat", "dog"]));
        Assert.Contains($"{csv}(2)", e.Message, StringComparison.Ordinal);
        Assert.Contains("labels in the data that the pipeline does not list", e.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'dog'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Allowed labels: cat, dog", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("img/one.png,cat,extra\n", "expected 2 fields")]
    [InlineData("img/one.png\n", "expected 2 fields")]
    [InlineData("img/one.png,\n", "label is empty")]
    [InlineData("\"img/one.png,cat\n", "not closed")]
    [InlineData("path,label\n", "no image rows")]
    [InlineData("", "no image rows")]
    public void Malformed_rows_are_errors(string text, string expected)
    {
        var csv = Csv(text);
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, null));
        Assert.Contains(csv, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_CSV_is_an_error()
    {
        var csv = Path.Combine(_dir.Path, "none.csv");
        var e = Assert.Throws<DataException>(() => new CsvImageSource(csv, null, null));
        Assert.Contains(csv, e.Message, StringComparison.Ordinal);
    }
}
