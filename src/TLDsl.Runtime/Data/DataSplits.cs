using System;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Runtime.Data;

/// <summary>Deterministic index sets over an <see cref="IImageSource"/>. Every result is sorted ascending; what a class
/// gets depends only on the seed and that class's own indices.</summary>
public static class DataSplits
{
    /// <summary>Every index of the source, ascending.</summary>
    /// <param name="s">The source.</param>
    public static int[] All(IImageSource s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Enumerable.Range(0, s.Count).ToArray();
    }

    /// <summary>A stratified train/validation split: each class sends <c>round(n * validFraction)</c> of its images to
    /// validation, at least 1 when it has 2 or more, and always keeps at least 1 for training.</summary>
    /// <param name="s">The source.</param>
    /// <param name="indices">The indices to split (e.g. <see cref="All"/>).</param>
    /// <param name="validFraction">Between 0 and 1, exclusive.</param>
    /// <param name="seed">The same seed gives the same split.</param>
    /// <exception cref="DataException">Either side of the split would be empty.</exception>
    public static (int[] Train, int[] Valid) Split(IImageSource s, int[] indices, double validFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(indices);
        if (!(validFraction > 0 && validFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validFraction), validFraction, "A fraction between 0 and 1 (exclusive) is expected.");
        }

        var train = new List<int>();
        var valid = new List<int>();
        foreach (var (label, members) in ByClass(s, indices))
        {
            Shuffle(members, new Random(SampleSeed.Of(seed, label, 0x5EED)));
            var n = members.Count;
            var take = n < 2 ? 0 : Math.Clamp((int)Math.Round(n * validFraction, MidpointRounding.AwayFromZero), 1, n - 1);
            valid.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }

        if (train.Count == 0 || valid.Count == 0)
        {
            throw new DataException(
                $"Splitting {indices.Length} images of {s} with a validation fraction of {validFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)} " +
                $"leaves the {(train.Count == 0 ? "training" : "validation")} split empty: a class needs at least 2 images to give one to validation. " +
                "Add images or give a separate validation set.");
        }

        train.Sort();
        valid.Sort();
        return ([.. train], [.. valid]);
    }

    /// <summary>At most <paramref name="perClass"/> indices of each class, drawn deterministically by seed.</summary>
    /// <param name="s">The source.</param>
    /// <param name="indices">The indices to draw from.</param>
    /// <param name="perClass">At least 1.</param>
    /// <param name="seed">The same seed gives the same subset.</param>
    public static int[] LimitPerClass(IImageSource s, int[] indices, int perClass, int seed)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        var kept = new List<int>();
        foreach (var (label, members) in ByClass(s, indices))
        {
            Shuffle(members, new Random(SampleSeed.Of(seed, label, 0x11A1)));
            kept.AddRange(members.Take(perClass));
        }

        kept.Sort();
        return [.. kept];
    }

    private static SortedDictionary<int, List<int>> ByClass(IImageSource s, int[] indices)
    {
        var byClass = new SortedDictionary<int, List<int>>();
        foreach (var index in indices.Distinct().Order())
        {
            var label = s.LabelOf(index);
            if (!byClass.TryGetValue(label, out var list))
            {
                byClass[label] = list = [];
            }

            list.Add(index);
        }

        return byClass;
    }

    private static void Shuffle(List<int> list, Random random)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}

/// <summary>Seeds derived from several integers by SplitMix64 mixing: independent streams without shared state.</summary>
internal static class SampleSeed
{
    public static int Of(int a, int b, int c)
    {
        var h = Mix(0x9E3779B97F4A7C15UL ^ (uint)a);
        h = Mix(h ^ ((ulong)(uint)b << 1));
        h = Mix(h ^ ((ulong)(uint)c << 2));
        return (int)(h & 0x7FFFFFFF);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
