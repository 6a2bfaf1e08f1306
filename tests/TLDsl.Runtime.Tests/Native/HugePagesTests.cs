using System;
using System.Linq;
using System.Runtime.InteropServices;
using TLDsl.Runtime.Native;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Native;

/// <summary>libtorch gets its huge-page switch in the C environment before it loads, unless the user set it: its large
/// tensors are then page-aligned and their mapping advised for huge pages (the <c>hg</c> flag in /proc/self/smaps), and
/// only then.</summary>
public sealed partial class HugePagesTests
{
    [Fact]
    public unsafe void Large_tensors_are_huge_page_aligned_unless_the_user_turned_it_off()
    {
        var status = TorchNative.EnsureLoaded();
        string? user = Environment.GetEnvironmentVariable(HugePages.EnvironmentVariable);
        string? native = Marshal.PtrToStringUTF8(GetEnvironment(HugePages.EnvironmentVariable));
        Assert.Equal(user ?? "1", native);
        Assert.Contains(status.Attempts, line => line.StartsWith(HugePages.EnvironmentVariable, StringComparison.Ordinal));

        bool on = native == "1";
        using var large = empty(HugePages.TensorBytes);
        using var small = empty(1000);
        fixed (byte* address = large.bytes)
        {
            Assert.Equal(on, (long)address % Environment.SystemPageSize == 0);
            Assert.Equal(on, AdvisedForHugePages((ulong)address));
        }
        // Below the threshold libtorch keeps its 64-byte alignment: nothing else changes.
        fixed (byte* address = small.bytes)
        {
            Assert.Equal(0, (long)address % 64);
        }
    }

    /// <summary>Whether the mapping holding <paramref name="address"/> carries madvise's huge-page flag.</summary>
    private static bool AdvisedForHugePages(ulong address)
    {
        bool inside = false;
        foreach (string line in System.IO.File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out ulong start)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber, null, out ulong end))
            {
                inside = start <= address && address < end;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("hg");
            }
        }
        throw new InvalidOperationException($"no mapping holds 0x{address:x}");
    }

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnvironment(string name);
}
