using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Weights;

/// <summary>The per-user cache of mapped weights: the real ResNet18.onnx mapping through it, and a small source file
/// mapped by a counting function for invalidation, damage and races.</summary>
public sealed class MappedWeightsCacheTests : IDisposable
{
    private const string MappingId = "test-mapping.v1";

    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-weights-cache").FullName;
    private int _maps;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Cache => Path.Combine(_dir, "cache");

    private string Source(params float[] values)
    {
        string path = Path.Combine(_dir, "source.bin");
        File.WriteAllBytes(path, values.SelectMany(BitConverter.GetBytes).ToArray());
        return path;
    }

    /// <summary>The source's floats as a [n] float32 tensor, their count as an int64 scalar, and a 2-D view.</summary>
    private Dictionary<string, Tensor> Map(string path)
    {
        Interlocked.Increment(ref _maps);
        byte[] bytes = File.ReadAllBytes(path);
        var values = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, i * 4)).ToArray();
        return new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["values"] = tensor(values),
            ["count"] = tensor((long)values.Length),
            ["grid"] = tensor(values).reshape(2, values.Length / 2),
        };
    }

    private MappedWeights Load(string source) => MappedWeightsCache.Load(source, MappingId, Map, Cache);

    private static void AssertIdentical(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value.dtype, actual[key].dtype);
            Assert.Equal(value.shape, actual[key].shape);
            Assert.True(value.contiguous().bytes.SequenceEqual(actual[key].contiguous().bytes), $"{key} differs");
        }
    }

    private static void Free(MappedWeights weights) => ReadBuffers.Release(weights.State);

    [Fact]
    public void ImageNet_weights_from_the_cache_are_bit_identical_to_a_fresh_mapping()
    {
        string onnx = ImageNetResNet18Weights.Locate();
        var fresh = ImageNetResNet18Weights.LoadStateDict(onnx);
        var written = ImageNetResNet18Weights.LoadStateDictCached(onnx, Cache);
        var hit = ImageNetResNet18Weights.LoadStateDictCached(onnx, Cache);
        try
        {
            Assert.Equal(MappedWeightsCacheOutcome.Written, written.Outcome);
            Assert.Equal(MappedWeightsCacheOutcome.Hit, hit.Outcome);
            Assert.Equal(ImageNetResNet18Weights.InitializerCount, hit.State.Count);
            AssertIdentical(fresh, written.State);
            AssertIdentical(fresh, hit.State);
            Assert.StartsWith(ImageNetResNet18Weights.CacheMappingId + "-" + ImageNetResNet18Weights.Sha256,
                Path.GetFileName(hit.CacheFile), StringComparison.Ordinal);
        }
        finally
        {
            ReadBuffers.Release(fresh);
            Free(written);
            Free(hit);
        }
    }

    [Fact]
    public void A_second_load_reads_the_cache_without_mapping()
    {
        string source = Source(1, 2, 3, 4);
        var first = Load(source);
        var second = Load(source);
        Assert.Equal(MappedWeightsCacheOutcome.Written, first.Outcome);
        Assert.Equal(MappedWeightsCacheOutcome.Hit, second.Outcome);
        Assert.Equal(1, _maps);
        AssertIdentical(first.State, second.State);
        Free(first);
        Free(second);
    }

    [Fact]
    public void A_changed_source_is_mapped_again_under_a_new_key()
    {
        string source = Source(1, 2, 3, 4);
        var before = Load(source);
        Source(1, 2, 3, 5);
        var after = Load(source);
        Assert.Equal(MappedWeightsCacheOutcome.Written, after.Outcome);
        Assert.Equal(2, _maps);
        Assert.NotEqual(before.CacheFile, after.CacheFile);
        Assert.Equal(5f, after.State["values"][3].item<float>());
        Free(before);
        Free(after);
    }

    [Fact]
    public void A_new_mapping_version_does_not_read_the_old_one()
    {
        string source = Source(1, 2, 3, 4);
        Free(Load(source));
        var other = MappedWeightsCache.Load(source, "test-mapping.v2", Map, Cache);
        Assert.Equal(MappedWeightsCacheOutcome.Written, other.Outcome);
        Assert.Equal(2, _maps);
        Free(other);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("empty")]
    [InlineData("data bit flipped")]
    [InlineData("not safetensors")]
    [InlineData("another source's metadata")]
    public void A_damaged_cache_file_is_rebuilt_and_valid_again(string damage)
    {
        string source = Source(1, 2, 3, 4, 5, 6);
        var first = Load(source);
        string file = first.CacheFile!;
        byte[] good = File.ReadAllBytes(file);
        byte[] bad = damage switch
        {
            "truncated" => good[..(good.Length - 5)],
            "empty" => [],
            "data bit flipped" => Flip(good, good.Length - 3),
            "not safetensors" => "PK\u0003\u0004 a zip, not safetensors"u8.ToArray(),
            "another source's metadata" => Replace(good, first.CacheFile!),
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        File.WriteAllBytes(file, bad);

        var rebuilt = Load(source);
        Assert.Equal(MappedWeightsCacheOutcome.Rebuilt, rebuilt.Outcome);
        AssertIdentical(first.State, rebuilt.State);
        Assert.Equal(good, File.ReadAllBytes(file));
        var again = Load(source);
        Assert.Equal(MappedWeightsCacheOutcome.Hit, again.Outcome);
        Assert.Equal(2, _maps);
        Free(first);
        Free(rebuilt);
        Free(again);
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x10;
        return copy;
    }

    // The same bytes with the source hash in the metadata changed (same length, so the file stays well formed).
    private static byte[] Replace(byte[] bytes, string cacheFile)
    {
        string hash = Path.GetFileNameWithoutExtension(cacheFile)[(MappingId.Length + 1)..];
        string text = System.Text.Encoding.Latin1.GetString(bytes);
        string other = new string(hash.Reverse().ToArray());
        return System.Text.Encoding.Latin1.GetBytes(text.Replace(hash, other, StringComparison.Ordinal));
    }

    [Fact]
    public void Concurrent_writers_leave_one_valid_file_and_identical_results()
    {
        string source = Source(Enumerable.Range(0, 4096).Select(i => i * 0.5f).ToArray());
        using var start = new Barrier(8);
        var results = new MappedWeights[8];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            start.SignalAndWait();
            results[i] = MappedWeightsCache.Load(source, MappingId, path =>
            {
                var state = Map(path);
                Thread.Sleep(20); // widen the window in which the writers overlap
                return state;
            }, Cache);
        });

        foreach (var result in results)
        {
            AssertIdentical(results[0].State, result.State);
        }
        Assert.Single(Directory.GetFiles(Cache)); // no temporary file left behind
        var hit = Load(source);
        Assert.Equal(MappedWeightsCacheOutcome.Hit, hit.Outcome);
        AssertIdentical(results[0].State, hit.State);
        foreach (var result in results.Append(hit))
        {
            Free(result);
        }
    }

    [Fact]
    public void An_unwritable_cache_still_returns_the_mapped_weights()
    {
        string source = Source(1, 2, 3, 4);
        string blocked = Path.Combine(_dir, "a-file");
        File.WriteAllText(blocked, "a file where the cache folder would be");
        var result = MappedWeightsCache.Load(source, MappingId, Map, blocked);
        Assert.Equal(MappedWeightsCacheOutcome.NotCached, result.Outcome);
        Assert.Equal(4, result.State["values"].shape[0]);
        Free(result);
    }

    [Fact]
    public void No_folder_means_no_cache()
    {
        string source = Source(1, 2, 3, 4);
        var result = MappedWeightsCache.Load(source, MappingId, Map, folder: null);
        Assert.Equal(MappedWeightsCacheOutcome.NotCached, result.Outcome);
        Assert.False(Directory.Exists(Cache));
        Free(result);
    }

    [Fact]
    public void The_environment_variable_names_the_folder_or_turns_the_cache_off()
    {
        string? saved = Environment.GetEnvironmentVariable(MappedWeightsCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(MappedWeightsCache.EnvironmentVariable, Cache);
            Assert.Equal(Cache, MappedWeightsCache.Folder());
            Environment.SetEnvironmentVariable(MappedWeightsCache.EnvironmentVariable, "off");
            Assert.Null(MappedWeightsCache.Folder());
        }
        finally
        {
            Environment.SetEnvironmentVariable(MappedWeightsCache.EnvironmentVariable, saved);
        }
    }
}
