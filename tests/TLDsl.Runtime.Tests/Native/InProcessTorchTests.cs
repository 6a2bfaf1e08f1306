using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Native;
using TorchSharp;

namespace TLDsl.Runtime.Tests.Native;

public sealed class InProcessTorchTests
{
    [Fact]
    public void Exactly_one_libtorch_is_mapped_into_the_process()
    {
        var status = TorchNative.EnsureLoaded();
        using var t = torch.ones(3, 3).matmul(torch.ones(3, 3));
        Assert.Equal(27f, t.sum().item<float>());

        string[] libtorch = File.ReadAllLines("/proc/self/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Where(p => Path.GetFileName(p) == "libtorch_cpu.so")
            .Distinct()
            .ToArray();
        Assert.Single(libtorch);
        string[] glue = File.ReadAllLines("/proc/self/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Where(p => Path.GetFileName(p) == TorchNative.LibraryFileName)
            .Distinct()
            .ToArray();
        Assert.Equal(status.LibraryPath, Assert.Single(glue));
    }
}
