using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

public sealed class IdxImageSourceTests : IDisposable
{
    internal static readonly string[] Three = ["a", "b", "c"];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>n images of 4x3 whose first pixel is the index, labels i % 3.</summary>
    internal static (string Images, string Labels) Write(TempDir dir, int n, bool gzip, string prefix = "t", int labelCount = 3)
    {
        var pixels = new byte[n * 12];
        for (var i = 0; i < n; i++)
        {
            for (var p = 0; p < 12; p++)
            {
                pixels[(i * 12) + p] = (byte)(i + (p * 20));
            }
        }

        var suffix = gzip ? ".gz" : string.Empty;
        var images = dir.File($"{prefix}-images-idx3-ubyte{suffix}");
        var labels = dir.File($"{prefix}-labels-idx1-ubyte{suffix}");
        ImageFiles.WriteIdx(images, 0x803, [n, 3, 4], pixels, gzip);
        ImageFiles.WriteIdx(labels, 0x801, [n], Enumerable.Range(0, n).Select(i => (byte)(i % labelCount)).ToArray(), gzip);
        return (images, labels);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_gzip_and_raw(bool gzip)
    {
        var (images, labels) = Write(_dir, 7, gzip);
        var source = new IdxImageSource(images, labels, Three);
        Assert.Equal(7, source.Count);
        Assert.Equal(Three, source.Labels);
        Assert.Equal([0, 1, 2, 0, 1, 2, 0], Enumerable.Range(0, 7).Select(source.LabelOf));
        var image = source.Decode(5);
        Assert.Equal((1, 3, 4), (image.Channels, image.Height, image.Width));
        Assert.Equal(5 / 255f, image.Pixels[0]);
        Assert.Equal((5 + 220) / 255f, image.Pixels[11]);
        Assert.Equal(Path.GetFileName(images) + "#5", source.NameOf(5));
    }

    [Fact]
    public void Detects_gzip_by_content_not_name()
    {
        var (images, labels) = Write(_dir, 4, gzip: true);
        var renamed = _dir.File("images.raw");
        File.Move(images, renamed);
        var source = new IdxImageSource(renamed, labels, Three);
        Assert.Equal(4, source.Count);
    }

    [Fact]
    public void Swapped_files_report_the_magic()
    {
        var (images, labels) = Write(_dir, 4, gzip: true);
        var e = Assert.Throws<DataException>(() => new IdxImageSource(labels, images, Three));
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("0x00000803", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Count_mismatch_names_both_files()
    {
        var (images, _) = Write(_dir, 5, gzip: false, prefix: "five");
        var (_, labels) = Write(_dir, 4, gzip: false, prefix: "four");
        var e = Assert.Throws<DataException>(() => new IdxImageSource(images, labels, Three));
        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("5 images", e.Message, StringComparison.Ordinal);
        Assert.Contains("4 labels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_id_beyond_the_list_is_an_error()
    {
        var (images, labels) = Write(_dir, 6, gzip: true, labelCount: 5);
        var e = Assert.Throws<DataException>(() => new IdxImageSource(images, labels, Three));
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("label id 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("a, b, c", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_images_are_an_error()
    {
        var (images, labels) = Write(_dir, 6, gzip: false);
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..^5]);
        var e = Assert.Throws<DataException>(() => new IdxImageSource(images, labels, Three));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_gzip_is_an_error()
    {
        var (images, labels) = Write(_dir, 6, gzip: true);
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..12]);
        var e = Assert.Throws<DataException>(() => new IdxImageSource(images, labels, Three));
        Assert.Contains(images, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_an_error()
    {
        var (_, labels) = Write(_dir, 2, gzip: true);
        var missing = _dir.File("missing.gz");
        var e = Assert.Throws<DataException>(() => new IdxImageSource(missing, labels, Three));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Committed_fashion_sample_is_balanced()
    {
        string[] labels = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];
        var dir = RepoPaths.Get("samples", "fashion-mnist");
        var train = new IdxImageSource(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"), labels);
        var test = new IdxImageSource(Path.Combine(dir, "test-images-idx3-ubyte.gz"), Path.Combine(dir, "test-labels-idx1-ubyte.gz"), labels);
        Assert.Equal((3000, 28, 28), (train.Count, train.Height, train.Width));
        Assert.Equal(1000, test.Count);
        Assert.All(Enumerable.Range(0, 3000).GroupBy(train.LabelOf), g => Assert.Equal(300, g.Count()));
        Assert.All(Enumerable.Range(0, 1000).GroupBy(test.LabelOf), g => Assert.Equal(100, g.Count()));
    }

    [Fact]
    public void A_class_subset_keeps_those_classes_in_the_given_order_and_skips_the_rest()
    {
        // 30 items with labels 0..9 (item i has label i % 10); classes [7, 2, 5] become labels 0, 1, 2.
        var (images, labels) = Write(_dir, 30, gzip: true, labelCount: 10);
        var source = new IdxImageSource(images, labels, Three, [7, 2, 5]);
        Assert.Equal(9, source.Count);
        // File order is kept: items 2, 5, 7, 12, 15, 17, 22, 25, 27.
        Assert.Equal([1, 2, 0, 1, 2, 0, 1, 2, 0], Enumerable.Range(0, 9).Select(source.LabelOf));
        Assert.Equal(Path.GetFileName(images) + "#17", source.NameOf(5));
        Assert.Equal(17 / 255f, source.Decode(5).Pixels[0]);
        Assert.Equal([3, 3, 3], DataSplits.All(source).GroupBy(source.LabelOf).OrderBy(g => g.Key).Select(g => g.Count()));
    }

    [Fact]
    public void A_class_subset_must_have_one_distinct_present_value_per_label()
    {
        var (images, labels) = Write(_dir, 20, gzip: false, labelCount: 10);
        Assert.Contains("list 2 values, but the pipeline has 3 labels",
            Assert.Throws<DataException>(() => new IdxImageSource(images, labels, Three, [1, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("2 is listed twice",
            Assert.Throws<DataException>(() => new IdxImageSource(images, labels, Three, [1, 2, 2])).Message, StringComparison.Ordinal);
        Assert.Contains("no item with label value 12 (classes[2], label 'c')",
            Assert.Throws<DataException>(() => new IdxImageSource(images, labels, Three, [1, 2, 12])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pipeline_applies_idx_classes_to_train_and_test()
    {
        static string Sample(string file) => RepoPaths.Get("samples", "fashion-mnist", file).Replace('\\', '/');
        string yaml = $$"""
            version: 1
            base: { model: small_cnn, weights: none, drop: classifier }
            labels: [sandal, shirt, sneaker, bag, ankle_boot]
            head: [linear: labels]
            data:
              train: { idx: { images: "{{Sample("train-images-idx3-ubyte.gz")}}", labels: "{{Sample("train-labels-idx1-ubyte.gz")}}", classes: [5, 6, 7, 8, 9] } }
              test: { idx: { images: "{{Sample("test-images-idx3-ubyte.gz")}}", labels: "{{Sample("test-labels-idx1-ubyte.gz")}}", classes: [5, 6, 7, 8, 9] } }
              limit_per_class: 4
            train: { phases: [{ epochs: 1 }] }
            """;
        var file = TLDsl.Runtime.Pipelines.PipelineFile.Parse(yaml, _dir.File("subset.tl.yaml"));
        var labels = TLDsl.Runtime.Pipelines.PipelineInterpreter.Labels(file);
        var plan = TLDsl.Runtime.Pipelines.PipelineInterpreter.DataPlan(file, labels);
        Assert.Equal(1500, plan.Train.Count);
        Assert.Equal([4, 4, 4, 4, 4], plan.TrainIndices.GroupBy(plan.Train.LabelOf).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal(500, plan.Test!.Count);
        Assert.Equal([100, 100, 100, 100, 100], plan.TestIndices.GroupBy(plan.Test.LabelOf).OrderBy(g => g.Key).Select(g => g.Count()));
    }
}
