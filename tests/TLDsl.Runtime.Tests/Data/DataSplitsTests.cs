using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Data;
using Xunit;

namespace TLDsl.Runtime.Tests.Data;

/// <summary>An in-memory source: image i is filled with <c>fill(i)</c>.</summary>
internal sealed class MemorySource(int[] labels, int labelCount, int channels = 1, int height = 4, int width = 4, Func<int, int, float>? pixel = null) : IImageSource
{
    public int Count => labels.Length;

    public IReadOnlyList<string> Labels { get; } = Enumerable.Range(0, labelCount).Select(i => "c" + i).ToArray();

    public int LabelOf(int index) => labels[index];

    public string NameOf(int index) => "memory#" + index;

    public DecodedImage Decode(int index)
    {
        var pixels = new float[channels * height * width];
        for (var p = 0; p < pixels.Length; p++)
        {
            pixels[p] = pixel?.Invoke(index, p) ?? ((index * 7) + p) % 11 / 10f;
        }

        return new DecodedImage(pixels, channels, height, width);
    }
}

public sealed class DataSplitsTests
{
    private static MemorySource Classes(params int[] sizes) =>
        new(sizes.SelectMany((n, c) => Enumerable.Repeat(c, n)).ToArray(), sizes.Length);

    [Fact]
    public void Split_is_stratified_disjoint_and_complete()
    {
        var source = Classes(100, 50, 20, 3);
        var all = DataSplits.All(source);
        var (train, valid) = DataSplits.Split(source, all, 0.2, 42);
        Assert.Empty(train.Intersect(valid));
        Assert.Equal(all, train.Concat(valid).Order());
        var perClass = valid.GroupBy(source.LabelOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(20, perClass[0]);
        Assert.Equal(10, perClass[1]);
        Assert.Equal(4, perClass[2]);
        Assert.Equal(1, perClass[3]);
        Assert.True(train.SequenceEqual(train.Order()) && valid.SequenceEqual(valid.Order()));
    }

    [Fact]
    public void Split_is_deterministic_per_seed()
    {
        var source = Classes(40, 40, 40);
        var all = DataSplits.All(source);
        var a = DataSplits.Split(source, all, 0.25, 7);
        var b = DataSplits.Split(source, all, 0.25, 7);
        var c = DataSplits.Split(source, all, 0.25, 8);
        Assert.Equal(a.Valid, b.Valid);
        Assert.Equal(a.Train, b.Train);
        Assert.NotEqual(a.Valid, c.Valid);
    }

    [Fact]
    public void Tiny_classes_give_at_least_one_to_validation_when_they_can()
    {
        var source = Classes(2, 1, 5);
        var (train, valid) = DataSplits.Split(source, DataSplits.All(source), 0.01, 3);
        Assert.Equal(1, valid.Count(i => source.LabelOf(i) == 0));
        Assert.Equal(0, valid.Count(i => source.LabelOf(i) == 1));
        Assert.Equal(1, valid.Count(i => source.LabelOf(i) == 2));
        Assert.Contains(train, i => source.LabelOf(i) == 1);
    }

    [Fact]
    public void Split_of_a_subset_stays_inside_it()
    {
        var source = Classes(30, 30);
        int[] subset = [.. Enumerable.Range(0, 60).Where(i => i % 3 == 0)];
        var (train, valid) = DataSplits.Split(source, subset, 0.5, 1);
        Assert.Equal(subset, train.Concat(valid).Order());
    }

    [Fact]
    public void Empty_validation_split_is_a_clear_error()
    {
        var source = Classes(1, 1, 1);
        var e = Assert.Throws<DataException>(() => DataSplits.Split(source, DataSplits.All(source), 0.2, 0));
        Assert.Contains("validation split empty", e.Message, StringComparison.Ordinal);
        Assert.Contains("0.2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Fraction_out_of_range_is_rejected(double fraction)
    {
        var source = Classes(4, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplits.Split(source, DataSplits.All(source), fraction, 0));
    }

    [Fact]
    public void Limit_per_class_is_deterministic_and_bounded()
    {
        var source = Classes(50, 10, 3);
        var all = DataSplits.All(source);
        var a = DataSplits.LimitPerClass(source, all, 5, 11);
        var b = DataSplits.LimitPerClass(source, all, 5, 11);
        var c = DataSplits.LimitPerClass(source, all, 5, 12);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal([5, 5, 3], a.GroupBy(source.LabelOf).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal(a.Order(), a);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplits.LimitPerClass(source, all, 0, 1));
    }
}
