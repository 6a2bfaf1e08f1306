using System.IO;
using System.Linq;

namespace TLDsl.Bench;

/// <summary>Resident memory of this process from /proc (native TorchSharp tensors included, unlike the GC's figures).</summary>
internal static class Rss
{
    public static double CurrentMiB => Read("VmRSS:");

    public static double PeakMiB => Read("VmHWM:");

    private static double Read(string key)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, System.StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
