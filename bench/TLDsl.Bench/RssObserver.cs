using System;
using System.Collections.Generic;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Bench;

/// <summary>Prints each epoch and records the process's RSS at its end, after a full garbage collection (so that what
/// remains is what the training keeps, not finalisable garbage).</summary>
internal sealed class RssObserver : ITrainingObserver
{
    public List<double> Rss { get; } = [];

    /// <summary>When set, each phase start, cache build and epoch marks a stage (peak RSS per stage).</summary>
    public StagePeaks? Stages { get; init; }

    private string _phase = "";
    private bool _caching;

    /// <summary>The process's peak RSS so far (with stages, the kernel's mark is reset at each, so the finished
    /// stages' highest counts too).</summary>
    private double PeakSoFar => Math.Max(Stages?.OverallMiB ?? 0, TLDsl.Bench.Rss.PeakMiB);

    /// <summary>RSS growth from the end of epoch 2 (allocator pools warm) to the last epoch, in percent.</summary>
    public double? GrowthPercent => Rss.Count >= 3 ? (Rss[^1] - Rss[1]) / Rss[1] * 100 : null;

    public void PhaseStarted(string phase, int phaseIndex, int phaseCount, int epochs, bool cachedFeatures)
    {
        _phase = phase;
        Stages?.Mark($"phase {phase}: start");
        Console.WriteLine($"  phase {phase} ({(cachedFeatures ? "cached features" : "no cache")}) starts: RSS {TLDsl.Bench.Rss.CurrentMiB:F1} MiB, peak so far {PeakSoFar:F1} MiB");
    }

    public void FeatureCaching(int done, int total)
    {
        if (!_caching && done < total)
        {
            _caching = true;
            Stages?.Mark($"phase {_phase}: caching {total} samples");
        }
        if (done == total)
        {
            _caching = false;
            Stages?.Mark($"phase {_phase}: after caching {total} samples");
            Console.WriteLine($"  {total} samples cached: RSS {TLDsl.Bench.Rss.CurrentMiB:F1} MiB, peak so far {PeakSoFar:F1} MiB");
        }
    }

    public void BatchCompleted(int epoch, int batch, int batchesPerEpoch, double loss, double learningRate)
    {
        if (batch == 1)
        {
            Stages?.Mark($"phase {_phase}: epoch {epoch}, batches 2..{batchesPerEpoch}");
        }
        if (batch == batchesPerEpoch)
        {
            Stages?.Mark($"phase {_phase}: epoch {epoch} validation, checkpoint");
        }
    }

    public void EpochCompleted(EpochRecord record)
    {
        Stages?.Mark($"phase {_phase}: after epoch {record.Epoch}");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Rss.Add(TLDsl.Bench.Rss.CurrentMiB);
        Console.WriteLine($"  epoch {record.Epoch}: valid accuracy {record.ValidAccuracy:F4}, {record.Seconds:F1} s, RSS {Rss[^1]:F1} MiB (peak so far {PeakSoFar:F1}), GC committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:F0} MiB, heap {GC.GetTotalMemory(false) / 1048576.0:F0} MiB");
    }

    public void Message(string text) { }
}
