using System;
using System.Globalization;
using System.Linq;

namespace TLDsl.Bench;

/// <summary>The one machine-readable line a case compared with PyTorch prints: <c>RESULT case=... side=tldsl k=v ...</c>
/// (bench/pytorch/compare.py pairs it with the PyTorch program's line of the same case).</summary>
internal static class ResultLine
{
    public static void Print(string @case, params (string Key, object Value)[] values)
    {
        string Format(object v) => v switch
        {
            double d => d.ToString("G6", CultureInfo.InvariantCulture),
            float f => f.ToString("G6", CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
        Console.WriteLine($"RESULT case={@case} side=tldsl " + string.Join(" ", values.Select(kv => $"{kv.Key}={Format(kv.Value)}")));
    }

    /// <summary>Sets libtorch's intra-op threads (the <c>--threads</c> option, default 2) and returns the number.</summary>
    public static int Threads(string[] args)
    {
        int threads = BenchPipelines.Option(args, "--threads", 2);
        TorchSharp.torch.set_num_threads(threads);
        return threads;
    }
}
