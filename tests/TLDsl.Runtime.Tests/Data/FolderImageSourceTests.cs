using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

public sealed class FolderImageSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static void Png(string path, byte value, int size = 4, int channels = 3) =>
        ImageFiles.WritePng(path, Enumerable.Repeat(value, size * size * channels).ToArray(), size, size, channels);

    private string Tree()
    {
        Png(_dir.File("data", "dog", "b.png"), 10);
        Png(_dir.File("data", "dog", "A.PNG"), 20);
        ImageFiles.WriteBmp(_dir.File("data", "dog", "c.Bmp"), new byte[16 * 3], 4, 4, 3);
        ImageFiles.WriteJpeg(_dir.File("data", "cat", "x.jpeg"), new byte[64], 8, 8, 1);
        ImageFiles.WriteJpeg(_dir.File("data", "cat", "nested", "y.JPG"), new byte[64], 8, 8, 1);
        File.WriteAllText(_dir.File("data", "cat", "notes.txt"), "ignored");
        Png(_dir.File("data", "dog", ".hidden", "z.png"), 0);
        Png(_dir.File("data", "dog", ".z.png"), 0);
        return Path.Combine(_dir.Path, "data");
    }

    [Fact]
    public void Labels_from_sorted_folders_and_files_sorted_ordinally()
    {
        var root = Tree();
        var source = new FolderImageSource(root, null);
        Assert.Equal(["cat", "dog"], source.Labels);
        Assert.Equal(5, source.Count);
        var names = Enumerable.Range(0, source.Count).Select(i => Path.GetRelativePath(root, source.NameOf(i)).Replace('\\', '/')).ToArray();
        Assert.Equal(["cat/nested/y.JPG", "cat/x.jpeg", "dog/A.PNG", "dog/b.png", "dog/c.Bmp"], names);
        Assert.Equal([0, 0, 1, 1, 1], Enumerable.Range(0, source.Count).Select(source.LabelOf));
        Assert.Equal(20 / 255f, source.Decode(2).Pixels[0]);
        Assert.Equal(1, source.Decode(0).Channels);
    }

    [Fact]
    public void Pipeline_label_order_gives_the_ids()
    {
        var source = new FolderImageSource(Tree(), ["dog", "cat"]);
        Assert.Equal(["dog", "cat"], source.Labels);
        Assert.Equal(1, source.LabelOf(0));
        Assert.Equal(0, source.LabelOf(4));
    }

    [Fact]
    public void Missing_root_is_an_error()
    {
        var root = Path.Combine(_dir.Path, "absent");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(root, null));
        Assert.Contains(root, e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unlisted_class_folder_names_folder_and_allowed_labels()
    {
        var root = Tree();
        var e = Assert.Throws<DataException>(() => new FolderImageSource(root, ["Dog", "bird"]));
        Assert.Contains("labels in the data that the pipeline does not list", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root, "cat"), e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root, "dog"), e.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'Dog'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Allowed labels: Dog, bird", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listed_label_without_folder_is_an_error()
    {
        var root = Tree();
        var e = Assert.Throws<DataException>(() => new FolderImageSource(root, ["cat", "dog", "bird"]));
        Assert.Contains("'bird'", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root, "bird"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_class_folder_is_an_error()
    {
        var root = Tree();
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        File.WriteAllText(Path.Combine(root, "empty", "readme.txt"), "no images");
        var e = Assert.Throws<DataException>(() => new FolderImageSource(root, null));
        Assert.Contains(Path.Combine(root, "empty"), e.Message, StringComparison.Ordinal);
        Assert.Contains(".png, .jpg, .jpeg, .bmp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_without_subfolders_is_an_error()
    {
        Png(_dir.File("flat", "a.png"), 1);
        var e = Assert.Throws<DataException>(() => new FolderImageSource(Path.Combine(_dir.Path, "flat"), null));
        Assert.Contains("one subfolder per class", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_image_names_the_file_on_decode_and_in_a_batch()
    {
        var root = Tree();
        var bad = Path.Combine(root, "dog", "b.png");
        File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var source = new FolderImageSource(root, null);
        var e = Assert.Throws<DataException>(() => source.Decode(3));
        Assert.Contains(bad, e.Message, StringComparison.Ordinal);

        var pre = new ImagePreprocessor((8, 8), 3, TLDsl.Runtime.Models.Normalization.ImageNet, []);
        var batchError = Assert.Throws<DataException>(() => pre.Batch(source, [0, 1, 2, 3, 4], train: false, seed: 1, epoch: 0));
        Assert.Contains(bad, batchError.Message, StringComparison.Ordinal);
    }
}
