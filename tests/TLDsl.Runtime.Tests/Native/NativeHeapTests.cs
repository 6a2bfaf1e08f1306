using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Native;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Native;

public sealed class NativeHeapTests
{
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
        NativeHeap.ConfigureForTraining();
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

    [Fact]
    public void Training_configuration_is_applied_once_and_tensors_over_the_threshold_leave_nothing_behind()
    {
        if (!NativeHeap.IsGlibc)
        {
            NativeHeap.ConfigureForTraining();
            return;
        }
        NativeHeap.ConfigureForTraining();
        NativeHeap.ConfigureForTraining();
        var pin = new List<Tensor>();
        double before = RssMiB();
        // Tensors at the threshold and over it, each followed by a small long-lived one: in the heap, each freed large
        // block would sit under a pinned small one and the heap would grow by 16 MiB a round (issue #18's climb).
        for (int round = 0; round < 20; round++)
        {
            using (var large = ones(NativeHeap.MmapThresholdBytes))
            {
                pin.Add(ones(1024));
            }
        }
        double after = RssMiB();
        pin.ForEach(t => t.Dispose());
        Assert.True(after - before < 32, $"RSS grew by {after - before:F1} MiB over 20 rounds of a freed 16 MiB tensor");
    }

    private static double RssMiB()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
