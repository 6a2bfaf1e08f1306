using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TLDsl.Bench;

/// <summary>The sentence under a scenario's table, computed from its numbers: where transfer beats training from scratch
/// and where it does not, and where the pixel baseline keeps up.</summary>
internal static class TableInterpretation
{
    public static string Sentence(IReadOnlyList<(TableMethod Method, int? PerClass, double? Accuracy, double? Cpu)> cells, int?[] sizes)
    {
        double? Acc(TableMethod m, int? s) => cells.FirstOrDefault(c => c.Method == m && c.PerClass == s).Accuracy;
        double? Transfer(int? s) => new[] { Acc(TableMethod.Frozen, s), Acc(TableMethod.Gradual, s) }.Where(a => a is not null).Max();
        var helps = new List<string>();
        var hurts = new List<string>();
        var ties = new List<string>();
        var unknown = new List<string>();
        foreach (var s in sizes)
        {
            if (Transfer(s) is not double t || Acc(TableMethod.Scratch, s) is not double b)
            {
                unknown.Add(Size(s));
                continue;
            }
            double delta = Math.Round((t - b) * 100, 1);
            string text = $"{Size(s)} ({delta.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)} points)";
            (delta > 0.5 ? helps : delta < -0.5 ? hurts : ties).Add(text);
        }
        var parts = new List<string>();
        if (helps.Count > 0)
        {
            parts.Add($"transfer (the better of (c) and (d)) beats training from scratch at {Join(helps)}");
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
        var pixelsWin = sizes.Where(s => Acc(TableMethod.Pixels, s) is double p && Transfer(s) is double t && p >= t).Select(Size).ToList();
        string pixels = pixelsWin.Count > 0
            ? $" The pixel baseline (a) matches or beats transfer at {Join(pixelsWin)}."
            : sizes.Any(s => Acc(TableMethod.Pixels, s) is not null && Transfer(s) is not null) ? " Transfer beats the pixel baseline (a) at every size where both ran." : "";
        return parts.Count == 0 ? "No size has results to compare." : char.ToUpperInvariant(parts[0][0]) + string.Join("; ", parts)[1..] + "." + pixels;
    }

    private static string Size(int? s) => s is int n ? $"{n}/class" : "all images";

    private static string Join(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];
}
