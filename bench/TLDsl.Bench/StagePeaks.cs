using System;
using System.Collections.Generic;
using System.IO;

namespace TLDsl.Bench;

/// <summary>Peak RSS per stage of a run: at each mark the kernel's high-water mark (VmHWM) is read for the stage that
/// ends and reset (Linux clear_refs 5), so a stage's figure is the highest RSS reached while it ran, however briefly —
/// which sampling at epoch ends misses.</summary>
internal sealed class StagePeaks
{
    private readonly List<(string Stage, double PeakMiB, double AnonMiB, double FileMiB, (double InUseMiB, double FreeMiB, double MappedMiB, double TopMiB) Heap, double Gc)> _peaks = [];
    private string _stage;

    public StagePeaks(string first)
    {
        _stage = first;
        Reset();
    }

    /// <summary>The highest RSS of any finished stage.</summary>
    public double OverallMiB { get; private set; }

    /// <summary>Ends the current stage (recording its peak) and starts the named one.</summary>
    public void Mark(string stage)
    {
        double peak = Rss.PeakMiB;
        _peaks.Add((_stage, peak, Rss.AnonMiB, Rss.FileMiB, Rss.Heap(), GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0));
        OverallMiB = Math.Max(OverallMiB, peak);
        _stage = stage;
        Reset();
    }

    public void Print()
    {
        Console.WriteLine("  peak RSS by stage:");
        Console.WriteLine($"    {"stage",-48} {"peak",8}     at its end (MiB): anonymous, file-backed; malloc in use, free in heap (of it at the top), mmapped; GC committed");
        foreach (var (stage, peak, anon, file, heap, gc) in _peaks)
        {
            Console.WriteLine($"    {stage,-48} {peak,8:F1} MiB {anon,8:F1} {file,6:F1}; {heap.InUseMiB,6:F1} {heap.FreeMiB,6:F1} ({heap.TopMiB,5:F1}) {heap.MappedMiB,6:F1}; {gc,5:F1}");
        }
    }

    private static void Reset() => File.WriteAllText("/proc/self/clear_refs", "5");
}
