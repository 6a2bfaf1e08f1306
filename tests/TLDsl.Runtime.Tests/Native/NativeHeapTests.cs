using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Native;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Native;

public sealed class NativeHeapTests
{
    [Theory]
    [InlineData(null, null, true)]
    [InlineData("on", null, true)]
    [InlineData("off", null, false)]
    [InlineData(null, "2", false)]
    [InlineData("on", "2", false)]
    public void Training_tunes_glibc_unless_switched_off_or_tuned_by_the_user(string? setting, string? arenaMax, bool tuned)
    {
        var environment = new Dictionary<string, string?>
        {
            [NativeHeap.EnvironmentVariable] = setting,
            ["MALLOC_ARENA_MAX"] = arenaMax,
        };
        Assert.Equal(tuned, NativeHeap.Wanted(name => environment.GetValueOrDefault(name)));
    }

    [Fact]
    public void An_unknown_tuning_word_is_refused_naming_the_variable_and_the_words()
    {
        var e = Assert.Throws<ArgumentException>(() => NativeHeap.Wanted(name => name == NativeHeap.EnvironmentVariable ? "fast" : null));
        Assert.Contains("TLDSL_MALLOC_TUNING='fast'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'off'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trim_gives_back_the_pages_of_tensors_freed_inside_the_heap()
    {
        // This suite runs on Linux with glibc; elsewhere the heap calls must do nothing rather than fail.
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/status"))
        {
            Assert.False(NativeHeap.IsGlibc);
            NativeHeap.Trim();
            return;
        }
        Assert.True(NativeHeap.IsGlibc);
        NativeHeap.ConfigureForPhase(usesFeatureCache: true);
        // 1 MiB tensors stay under the mmap threshold, so they live in malloc's heap. Freeing every second one leaves
        // 100 MiB of holes between live blocks: free() cannot return them (only a free top of the heap is trimmed).
        var tensors = Enumerable.Range(0, 200).Select(_ => ones(256 * 1024)).ToList();
        for (int i = 0; i < tensors.Count; i += 2)
        {
            tensors[i].Dispose();
        }
        double before = RssMiB();
        NativeHeap.Trim();
        double after = RssMiB();
        for (int i = 1; i < tensors.Count; i += 2)
        {
            tensors[i].Dispose();
        }
        Assert.True(before - after >= 50, $"RSS {before:F1} MiB before malloc_trim, {after:F1} MiB after: expected at least 50 of the 100 MiB of holes back");
    }

    private static double RssMiB()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
