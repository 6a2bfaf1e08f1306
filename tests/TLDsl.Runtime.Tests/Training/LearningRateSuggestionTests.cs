using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>
/// The learning-rate suggestion on recorded sweeps (tests/fixtures/lr-find, written by <c>tldsl lr-find --csv</c>) and
/// on synthetic curves with known answers (issue #17).
/// </summary>
public sealed class LearningRateSuggestionTests
{
    private static (double[] Rates, double[] Losses) Recorded(string name) =>
        LearningRateSuggestion.FromCsv(File.ReadAllText(FixturePaths.Get("lr-find", name)));

    [Fact]
    public void Issue_17s_texture_sweep_gets_a_rate_inside_its_fall_not_the_sweeps_first_points()
    {
        // 20 crops per class of three textures, ImageNet ResNet-18 frozen: the raw loss wobbles around 1.35 up to 1e-4,
        // falls to 0 by 2e-2. The steepest-descent rule suggested 1.2e-7 here (a wobble at the sweep's start).
        var (rates, losses) = Recorded("textures-20.csv");
        double suggested = LearningRateSuggestion.Suggest(rates, losses)!.Value;
        Assert.InRange(suggested, 5e-4, 5e-3);
    }

    [Fact]
    public void The_quickstart_sweep_still_gets_a_sensible_rate()
    {
        // Fashion-MNIST quickstart: loss 3.2 falling to 1.4 between 1e-4 and 5e-3, diverging past 5e-2 (the old rule: 5.9e-3).
        var (rates, losses) = Recorded("quickstart.csv");
        double suggested = LearningRateSuggestion.Suggest(rates, losses)!.Value;
        Assert.InRange(suggested, 5e-4, 5e-3);
    }

    [Fact]
    public void A_30_step_sweep_over_ten_images_gets_a_rate_inside_its_fall()
    {
        // 5 images per class (10 train), 30 steps: each step sees the same 10 images, so the curve is short and noisy.
        var (rates, losses) = Recorded("textures-5-30steps.csv");
        Assert.Equal(30, rates.Length);
        double suggested = LearningRateSuggestion.Suggest(rates, losses)!.Value;
        Assert.InRange(suggested, 1e-3, 2e-2);
    }

    [Fact]
    public void A_noisy_sigmoid_fall_gets_the_rate_two_thirds_down_it_despite_a_large_wobble_at_the_start()
    {
        // Loss 2 - 1.5 * sigmoid(2 * (log10(rate) + 3)) (centred at 1e-3, two thirds down at 10^(-3 + ln(2)/2 / ln(10)) ≈ 1.41e-3),
        // seeded noise of 0.05, and a drop of 1.0 over the first three steps that the old steepest-descent rule took.
        int n = 100;
        var random = new Random(17);
        double[] rates = Enumerable.Range(0, n).Select(i => 1e-7 * Math.Pow(1e8, i / (double)(n - 1))).ToArray();
        double[] losses = rates.Select(r => 2 - (1.5 / (1 + Math.Exp(-2 * (Math.Log10(r) + 3)))) + (0.05 * ((random.NextDouble() * 2) - 1))).ToArray();
        losses[0] += 1.0;
        losses[1] += 0.6;
        losses[2] += 0.3;
        double expected = Math.Pow(10, -3 + (Math.Log(2) / 2 / Math.Log(10)));
        double suggested = LearningRateSuggestion.Suggest(rates, losses)!.Value;
        Assert.InRange(suggested, expected / 2, expected * 2);
    }

    [Fact]
    public void Noise_without_a_fall_and_too_short_a_sweep_get_no_suggestion()
    {
        var random = new Random(3);
        double[] rates = Enumerable.Range(0, 60).Select(i => 1e-7 * Math.Pow(10, i / 7.0)).ToArray();
        double[] flat = rates.Select(_ => 1.1 + (0.2 * ((random.NextDouble() * 2) - 1))).ToArray();
        Assert.Null(LearningRateSuggestion.Suggest(rates, flat));
        double[] rising = rates.Select((_, i) => 1.0 + (0.05 * i)).ToArray();
        Assert.Null(LearningRateSuggestion.Suggest(rates, rising));
        Assert.Null(LearningRateSuggestion.Suggest(rates[..7], flat[..7]));
        Assert.Throws<ArgumentException>(() => LearningRateSuggestion.Suggest(rates, flat[..10]));
    }

    [Fact]
    public void The_centred_average_does_not_lag_and_the_csv_round_trips()
    {
        double[] line = Enumerable.Range(0, 20).Select(i => 3.0 * i).ToArray();
        var smooth = LearningRateSuggestion.Smooth(line, 2);
        Assert.Equal(line[2..18], smooth[2..18]);
        Assert.Equal((0 + 3 + 6) / 3.0, smooth[0]);
        var (rates, losses) = LearningRateSuggestion.FromCsv(LearningRateSuggestion.ToCsv([1e-7, 0.1 + 0.2], [2.5, 1.0 / 3], [2.5, 2.4]));
        Assert.Equal([1e-7, 0.1 + 0.2], rates);
        Assert.Equal([2.5, 1.0 / 3], losses);
    }
}
