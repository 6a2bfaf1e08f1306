using System;
using System.IO;
using TLDsl.Runtime.Data;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

/// <summary>With labels from the data every subfolder is a class, so one that cannot be a label is refused by name.</summary>
public sealed class FolderClassNameTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Root => Path.Combine(_dir.Path, "data");

    private void Class(string name) => FolderImageSourceTests.Png(_dir.File("data", name, "a.png"), 9);

    [Fact]
    public void Dots_folder_is_refused_not_skipped()
    {
        Class("cat");
        Class("...");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Root, null));
        Assert.Contains($"'{Path.Combine(Root, "...")}': a class name needs at least one letter or digit", e.Message, StringComparison.Ordinal);
        Assert.Contains("labels: from_data makes every subfolder a class", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hidden_folder_is_refused_not_skipped()
    {
        Class("cat");
        Class("dog");
        Class(".cache");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Root, null));
        Assert.Contains($"'{Path.Combine(Root, ".cache")}': a hidden folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hidden_folder_beside_listed_labels_is_named()
    {
        Class("cat");
        Class("dog");
        Class(".cache");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Root, ["cat", "dog"]));
        Assert.Contains($"'{Path.Combine(Root, ".cache")}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not list", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_with_the_same_identifier_are_refused()
    {
        Class("t-shirt");
        Class("t_shirt");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Root, null));
        Assert.Contains("'t-shirt' and 't_shirt' both become the label identifier 'TShirt'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_character_is_refused_and_shown_escaped()
    {
        Class("cat");
        Class("do\tg");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Root, null));
        Assert.Contains("do\\u0009g", e.Message, StringComparison.Ordinal);
        Assert.Contains("control characters", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\t', e.Message);
    }

    [Fact]
    public void Every_problem_is_listed_in_one_message()
    {
        Class("cat");
        Class("...");
        Class(".git");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Root, null));
        Assert.Contains(Path.Combine(Root, "..."), e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(Root, ".git"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_class_is_refused()
    {
        Class("cat");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Root, null));
        Assert.Contains($"Image folder '{Root}' has one class folder ('cat'); a classifier needs at least two classes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_good_classes_are_the_labels()
    {
        Class("ankle_boot");
        Class("3d");
        Assert.Equal(["3d", "ankle_boot"], new FolderImageSource(Root, null).Labels);
    }
}
