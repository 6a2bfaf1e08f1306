using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TLDsl.Runtime.Training;

/// <summary>
/// The learning rate a range test suggests, made robust for the short, noisy sweeps of small data sets.
/// </summary>
/// <remarks>
/// <para>The rule: smooth the raw losses with a centred moving average (no lag, unlike the sweep's running average);
/// leave out the sweep's first tenth (at 1e-7 the loss only wobbles, and a wobble there looked like the steepest
/// descent: issue #17's 1.2e-7 on a curve that fell steadily from 1e-4 to past 1); take the valley from the highest
/// smoothed loss to the lowest one after it; suggest the rate where the smoothed loss has made two thirds of that fall.
/// A level crossing is found without differentiating noise; it sits inside the valley like fastai's <c>valley</c> rule
/// (the middle of the longest descent), on the safe side of the minimum. On the recorded curves of
/// tests/fixtures/lr-find: 1.4e-3 for issue #17's textures (the steepest-descent rule said 1.2e-7), 2.0e-3 for the
/// quickstart (it said 5.9e-3).</para>
/// <para>No suggestion when the fall is not clearly larger than the noise (three times the raw losses' scatter around
/// the smoothed curve, and at least 2% of the loss) or when fewer than <see cref="MinimumSteps"/> steps were recorded.</para>
/// </remarks>
public static class LearningRateSuggestion
{
    /// <summary>Fewest sweep steps a suggestion is made from.</summary>
    public const int MinimumSteps = 8;

    /// <summary>The suggested rate, or null when the loss did not clearly fall (see the type's remarks).</summary>
    /// <param name="rates">The sweep's rates, increasing.</param>
    /// <param name="losses">The raw training loss at each rate.</param>
    public static double? Suggest(IReadOnlyList<double> rates, IReadOnlyList<double> losses)
    {
        ArgumentNullException.ThrowIfNull(rates);
        ArgumentNullException.ThrowIfNull(losses);
        if (rates.Count != losses.Count)
        {
            throw new ArgumentException($"{rates.Count} rates but {losses.Count} losses.", nameof(losses));
        }
        int n = rates.Count;
        if (n < MinimumSteps || losses.Any(l => !double.IsFinite(l)) || rates.Any(r => !(r > 0)))
        {
            return null;
        }
        int half = Math.Max(2, n / 25);
        var smooth = Smooth(losses, half);
        int skip = Math.Max(2, n / 10);

        int low = skip;
        for (int i = skip; i < n; i++)
        {
            if (smooth[i] < smooth[low])
            {
                low = i;
            }
        }
        int high = skip;
        for (int i = skip; i <= low; i++)
        {
            if (smooth[i] > smooth[high])
            {
                high = i;
            }
        }
        double drop = smooth[high] - smooth[low];
        if (low - high < 2 || drop <= 0)
        {
            return null;
        }
        // Noise: the raw losses' scatter around the smoothed curve over the valley. The highest and lowest of many
        // smoothed points of pure noise lie a few standard errors apart, so the fall must exceed the scatter itself
        // (the recorded curves fall by 15 to 20 times theirs).
        double scatter = Math.Sqrt(Enumerable.Range(high, low - high + 1).Average(i => (losses[i] - smooth[i]) * (losses[i] - smooth[i])));
        if (drop < 3 * scatter || drop < 0.02 * Math.Abs(smooth[high]))
        {
            return null;
        }
        double level = smooth[low] + (drop / 3);
        for (int i = low; i > high; i--)
        {
            if (smooth[i - 1] >= level)
            {
                // Interpolate the crossing between steps i - 1 and i, in log rate.
                double t = (smooth[i - 1] - level) / (smooth[i - 1] - smooth[i]);
                return Math.Exp(Math.Log(rates[i - 1]) + (t * (Math.Log(rates[i]) - Math.Log(rates[i - 1]))));
            }
        }
        return rates[high];
    }

    /// <summary>A centred moving average over <c>2 × half + 1</c> steps (fewer at the ends).</summary>
    internal static double[] Smooth(IReadOnlyList<double> values, int half)
    {
        var result = new double[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            int from = Math.Max(0, i - half), to = Math.Min(values.Count - 1, i + half);
            double sum = 0;
            for (int j = from; j <= to; j++)
            {
                sum += values[j];
            }
            result[i] = sum / (to - from + 1);
        }
        return result;
    }

    /// <summary>A sweep as CSV: <c>rate,loss,smoothed</c>, one line per step, invariant numbers.</summary>
    public static string ToCsv(IReadOnlyList<double> rates, IReadOnlyList<double> losses, IReadOnlyList<double> smoothed)
    {
        ArgumentNullException.ThrowIfNull(rates);
        ArgumentNullException.ThrowIfNull(losses);
        ArgumentNullException.ThrowIfNull(smoothed);
        var csv = new StringBuilder("rate,loss,smoothed\n");
        for (int i = 0; i < rates.Count; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{rates[i]:R},{losses[i]:R},{smoothed[i]:R}\n");
        }
        return csv.ToString();
    }

    /// <summary>Reads <see cref="ToCsv"/>'s format back: the rates and the raw losses.</summary>
    public static (double[] Rates, double[] Losses) FromCsv(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1)
            .Select(line => line.Split(','))
            .ToArray();
        return (rows.Select(r => double.Parse(r[0], CultureInfo.InvariantCulture)).ToArray(),
            rows.Select(r => double.Parse(r[1], CultureInfo.InvariantCulture)).ToArray());
    }
}
