using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TLDsl.Bench;

/// <summary>A method's result at one size: the mean test accuracy and CPU seconds over the seeds that ran (null: none).</summary>
internal sealed record TableValue(TableMethod Method, int? PerClass, double? Accuracy, double? Cpu, int Runs);

/// <summary>An ablation row's test accuracy without and with test-time flips (null: not run).</summary>
internal sealed record TableAblationValue(TableAblation Row, double? Plain, double? WithTta);

/// <summary>The paragraphs under a scenario's table, computed from its numbers: where transfer beats training from
/// scratch and where it does not, the issue's targets for the scenario (met or not), the pixel baseline, and what each
/// piece of the ablation pays.</summary>
internal static class TableInterpretation
{
    /// <summary>The methods that reuse pre-trained weights; "transfer" at a size is the best of their means.</summary>
    private static readonly TableMethod[] Transfer = [TableMethod.Frozen, TableMethod.Gradual, TableMethod.FineTune];

    public static IEnumerable<string> Paragraphs(string scenario, IReadOnlyList<TableValue> values, int?[] sizes, IReadOnlyList<TableAblationValue> ablation)
    {
        yield return Comparison(values, sizes);
        yield return Targets(scenario, values, sizes);
        if (Ablation(ablation) is { } text)
        {
            yield return text;
        }
    }

    private static double? Acc(IReadOnlyList<TableValue> values, TableMethod m, int? s) =>
        values.FirstOrDefault(v => v.Method == m && v.PerClass == s)?.Accuracy;

    /// <summary>The best transfer method at a size and its mean accuracy (null when none ran).</summary>
    private static TableValue? BestTransfer(IReadOnlyList<TableValue> values, int? s) =>
        values.Where(v => v.PerClass == s && Transfer.Contains(v.Method) && v.Accuracy is not null).MaxBy(v => v.Accuracy);

    private static string Comparison(IReadOnlyList<TableValue> values, int?[] sizes)
    {
        var helps = new List<string>();
        var hurts = new List<string>();
        var ties = new List<string>();
        var unknown = new List<string>();
        foreach (var s in sizes)
        {
            if (BestTransfer(values, s) is not { Accuracy: double t } best || Acc(values, TableMethod.Scratch, s) is not double b)
            {
                unknown.Add(Size(s));
                continue;
            }
            string text = $"{Size(s)} ({Points(t - b)} points, {Letter(best.Method)})";
            double delta = Math.Round((t - b) * 100, 1);
            (delta > 0.5 ? helps : delta < -0.5 ? hurts : ties).Add(text);
        }
        var parts = new List<string>();
        if (helps.Count > 0)
        {
            parts.Add($"transfer (the best of (c), (d) and (e)) beats training from scratch at {Join(helps)}");
        }
        if (hurts.Count > 0)
        {
            parts.Add($"training from scratch beats transfer at {Join(hurts)}");
        }
        if (ties.Count > 0)
        {
            parts.Add($"they are within half a point at {Join(ties)}");
        }
        if (unknown.Count > 0)
        {
            parts.Add($"there is no comparison at {Join(unknown)} (a cell was not run)");
        }
        var pixelsWin = sizes.Where(s => Acc(values, TableMethod.Pixels, s) is double p && BestTransfer(values, s)?.Accuracy is double t && p >= t).Select(Size).ToList();
        string pixels = pixelsWin.Count > 0
            ? $" The pixel baseline (a) matches or beats transfer at {Join(pixelsWin)}."
            : sizes.Any(s => Acc(values, TableMethod.Pixels, s) is not null && BestTransfer(values, s) is not null) ? " Transfer beats the pixel baseline (a) at every size where both ran." : "";
        return parts.Count == 0 ? "No size has results to compare." : char.ToUpperInvariant(parts[0][0]) + string.Join("; ", parts)[1..] + "." + pixels;
    }

    /// <summary>The issue's targets: S2, best transfer above best from scratch at 10, 50 and 200 per class and at least 90%
    /// at 200 per class; S1, transfer at least as good as from scratch at every size up to 1,000 per class at a fraction
    /// of its CPU time.</summary>
    private static string Targets(string scenario, IReadOnlyList<TableValue> values, int?[] sizes) => scenario switch
    {
        "s1" => S1Targets(values, sizes),
        "s2" => S2Targets(values),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "no targets for this scenario"),
    };

    private static string S2Targets(IReadOnlyList<TableValue> values)
    {
        var parts = new List<string>();
        bool allMet = true;
        foreach (int s in new[] { 10, 50, 200 })
        {
            if (BestTransfer(values, s) is not { Accuracy: double t } best || Acc(values, TableMethod.Scratch, s) is not double b)
            {
                parts.Add($"{s}/class not measured");
                allMet = false;
                continue;
            }
            bool met = t > b;
            allMet &= met;
            parts.Add($"{s}/class {(met ? "met" : "not met")} ({Letter(best.Method)} {Pct(t)} vs (b) {Pct(b)})");
        }
        string ninety = BestTransfer(values, 200) is { Accuracy: double t200 } best200
            ? $"at least 90% at 200/class: {(t200 >= 0.9 ? "met" : "not met")} ({Letter(best200.Method)} {Pct(t200)})"
            : "at least 90% at 200/class: not measured";
        allMet &= BestTransfer(values, 200)?.Accuracy >= 0.9;
        return $"Targets (issue #17; transfer = the best mean of (c), (d) and (e), from scratch = (b)): the best transfer recipe beats the best from-scratch recipe at {string.Join(", ", parts)}; {ninety}. " +
            (allMet ? "All S2 targets are met." : "Not all S2 targets are met.");
    }

    private static string S1Targets(IReadOnlyList<TableValue> values, int?[] sizes)
    {
        var parts = new List<string>();
        bool allMet = true;
        foreach (var s in sizes.Where(s => s is int n && n <= 1000))
        {
            if (BestTransfer(values, s) is not { Accuracy: double t } best || Acc(values, TableMethod.Scratch, s) is not double b)
            {
                parts.Add($"{Size(s)} not measured");
                allMet = false;
                continue;
            }
            bool met = t >= b;
            allMet &= met;
            double? scratchCpu = values.First(v => v.Method == TableMethod.Scratch && v.PerClass == s).Cpu;
            string cost = best.Cpu is double c && scratchCpu is double sc && sc > 0 ? $", {c / sc * 100:F0}% of its CPU time" : "";
            parts.Add($"{Size(s)} {(met ? "met" : "not met")} ({Letter(best.Method)} {Pct(t)} vs {Pct(b)}{cost})");
        }
        return $"Target (issue #17): transfer (the best mean of (c), (d) and (e)) at least as accurate as from scratch (b) at every size up to 1,000/class, at a fraction of the compute: {string.Join(", ", parts)}. " +
            (allMet && parts.Count > 0 ? "The S1 target is met." : "The S1 target is not met.");
    }

    private static string? Ablation(IReadOnlyList<TableAblationValue> rows)
    {
        if (rows.FirstOrDefault(r => r.Row == TableAblation.Plain) is not { Plain: double plain })
        {
            return rows.Count == 0 ? null : "Ablation: the plain fine_tune row did not run, so no piece can be compared with it.";
        }
        var pieces = rows.Where(r => r.Row != TableAblation.Plain && r.Plain is not null)
            .Select(r => $"{Name(r.Row)} {Points(r.Plain!.Value - plain)}").ToList();
        var tta = rows.Where(r => r.Plain is not null && r.WithTta is not null).Select(r => r.WithTta!.Value - r.Plain!.Value).ToList();
        var best = rows.Where(r => r.Plain is not null).MaxBy(r => Math.Max(r.Plain!.Value, r.WithTta ?? 0));
        string ttaText = tta.Count == 0 ? "" : $" Test-time flips change the accuracy by {Points(tta.Average())} points on average over the rows ({Points(tta.Min())} to {Points(tta.Max())}).";
        string bestText = best is null ? "" : $" The best row is {Name(best.Row)} ({Pct(Math.Max(best.Plain!.Value, best.WithTta ?? 0))}).";
        return $"Ablation (points against plain fine_tune's {Pct(plain)}, without test-time flips; one seed, so differences under about a point are noise): " +
            (pieces.Count == 0 ? "no other row ran." : string.Join(", ", pieces) + ".") + ttaText + bestText;
    }

    private static string Name(TableAblation row) => row switch
    {
        TableAblation.Plain => "plain",
        TableAblation.TrivialAugment => "+trivial_augment",
        TableAblation.MixCut => "+mixup/cutmix",
        TableAblation.Ema => "+ema",
        TableAblation.Recipe => "+trivial_augment+mixup/cutmix ((e))",
        TableAblation.All => "all (+ema)",
        _ => throw new ArgumentOutOfRangeException(nameof(row), row, "unknown ablation row"),
    };

    private static string Letter(TableMethod m) => $"({"abcde"[(int)m]})";

    private static string Pct(double a) => (a * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Points(double delta) => Math.Round(delta * 100, 1).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture);

    private static string Size(int? s) => s is int n ? $"{n}/class" : "all images";

    private static string Join(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];
}
