using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Data;

/// <summary>A training batch after mixup/cutmix: the mixed images, each sample's partner label and its own label's
/// share of the loss (λ; 1 for a sample left unmixed).</summary>
/// <param name="Images">The mixed batch <c>[B, C, H, W]</c>.</param>
/// <param name="PartnerLabels">The partner's label per sample, int64 <c>[B]</c>.</param>
/// <param name="OwnShare">λ per sample, float32 <c>[B]</c>.</param>
public sealed record MixedBatch(Tensor Images, Tensor PartnerLabels, Tensor OwnShare);

/// <summary>
/// Mixup and CutMix across a batch. Sample i is paired with sample B - 1 - i (timm's pairing); its draws — which of
/// the listed kinds, whether it mixes, λ and the cutmix box — come from its own generator seeded by (seed, epoch,
/// sample index), apart from the per-image augmentations' generator, so a sample's mix depends only on those and on
/// its partner.
/// </summary>
public static class BatchMixing
{
    // Salt of the mixing generators, so they differ from the per-image augmentation ones.
    private const int Salt = 0x4d495831;

    /// <summary>Mixes <paramref name="images"/> (normalised network input; mixing commutes with the affine
    /// normalisation) by the <see cref="Mix"/> augmentations in <paramref name="mixes"/>.</summary>
    /// <param name="images">The batch <c>[B, C, H, W]</c>.</param>
    /// <param name="labels">The labels, int64 <c>[B]</c>.</param>
    /// <param name="indices">The sample indices, in batch order.</param>
    /// <param name="mixes">One or two (mixup and cutmix) augmentations.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The epoch.</param>
    public static MixedBatch Apply(Tensor images, Tensor labels, ReadOnlySpan<int> indices, IReadOnlyList<Mix> mixes, int seed, int epoch)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(mixes);
        if (mixes.Count == 0)
        {
            throw new ArgumentException("No mixup or cutmix to apply.", nameof(mixes));
        }

        var n = (int)images.shape[0];
        var h = (int)images.shape[2];
        var w = (int)images.shape[3];
        var masks = new float[n * h * w];
        var shares = new float[n];
        for (var i = 0; i < n; i++)
        {
            var random = new Random(SampleSeed.Of(seed ^ Salt, epoch, indices[i]));
            var mix = mixes.Count == 1 ? mixes[0] : mixes[random.NextDouble() < 0.5 ? 0 : 1];
            var mask = masks.AsSpan(i * h * w, h * w);
            if (random.NextDouble() >= mix.P)
            {
                mask.Fill(1);
                shares[i] = 1;
                continue;
            }

            var lambda = Beta(random, mix.Alpha);
            if (!mix.CutMix)
            {
                mask.Fill((float)lambda);
                shares[i] = (float)lambda;
                continue;
            }

            // timm's rand_bbox: a box of side sqrt(1 - λ) × the image's around a uniform centre, clipped; λ becomes
            // the share the box leaves.
            var cut = Math.Sqrt(1 - lambda);
            var ch = (int)(h * cut);
            var cw = (int)(w * cut);
            var cy = random.Next(h);
            var cx = random.Next(w);
            var top = Math.Clamp(cy - (ch / 2), 0, h);
            var bottom = Math.Clamp(cy + (ch / 2), 0, h);
            var left = Math.Clamp(cx - (cw / 2), 0, w);
            var right = Math.Clamp(cx + (cw / 2), 0, w);
            mask.Fill(1);
            for (var y = top; y < bottom; y++)
            {
                mask.Slice((y * w) + left, right - left).Clear();
            }

            shares[i] = 1 - ((float)((bottom - top) * (right - left)) / (h * w));
        }

        var reversed = arange(n - 1, -1, -1, ScalarType.Int64);
        var m = tensor(masks, [n, 1, h, w]);
        var mixed = (images * m) + (images.index_select(0, reversed) * (1 - m));
        return new MixedBatch(mixed, labels.index_select(0, reversed), tensor(shares));
    }

    /// <summary>The <see cref="Mix"/> augmentations of a list, in order.</summary>
    public static IReadOnlyList<Mix> Of(IEnumerable<Augmentation> augmentations) => augmentations.OfType<Mix>().Where(m => m.IsRandom).ToArray();

    /// <summary>Beta(α, α) as X / (X + Y) with X, Y ~ Gamma(α).</summary>
    internal static double Beta(Random random, double alpha)
    {
        var x = Gamma(random, alpha);
        var y = Gamma(random, alpha);
        return x + y > 0 ? x / (x + y) : 0.5;
    }

    /// <summary>Marsaglia and Tsang's Gamma(shape, 1); shapes below 1 through Gamma(shape + 1) × U^(1/shape).</summary>
    private static double Gamma(Random random, double shape)
    {
        if (shape < 1)
        {
            var u = 1 - random.NextDouble();
            return Gamma(random, shape + 1) * Math.Pow(u, 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = InputAugmentations.Normal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);
            v = v * v * v;
            var u = 1 - random.NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v;
            }
        }
    }
}
