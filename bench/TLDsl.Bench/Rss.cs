using System.IO;
using System.Linq;

namespace TLDsl.Bench;

/// <summary>Resident memory of this process from /proc (native TorchSharp tensors included, unlike the GC's figures).</summary>
internal static class Rss
{
    public static double CurrentMiB => Read("VmRSS:");

    public static double PeakMiB => Read("VmHWM:");

    /// <summary>Resident anonymous memory (heaps, tensors): what the process allocated.</summary>
    public static double AnonMiB => Read("RssAnon:");

    /// <summary>Resident file-backed memory (code and data of the loaded libraries, mapped files).</summary>
    public static double FileMiB => Read("RssFile:");

    /// <summary>glibc's heap: bytes in use, free inside the heap, and in mmapped blocks (mallinfo2, all arenas).</summary>
    public static (double InUseMiB, double FreeMiB, double MappedMiB, double TopMiB) Heap()
    {
        var info = MallInfo2();
        return (info.Uordblks / 1048576.0, info.Fordblks / 1048576.0, info.Hblkhd / 1048576.0, info.Keepcost / 1048576.0);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo MallInfo2();

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct MallInfo
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    private static double Read(string key)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, System.StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
