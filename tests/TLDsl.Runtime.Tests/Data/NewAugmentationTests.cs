using System;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Spec.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Data;

/// <summary>trivial_augment, pad_crop, random_erasing, mixup/cutmix and test-time views: each is a pure function of
/// (seed, epoch, sample), changes with any of them, and keeps its values in range.</summary>
public sealed class NewAugmentationTests
{
    private static readonly Normalization Identity = new MeanStdNormalization([0f, 0f, 0f], [1f, 1f, 1f]);

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static MemorySource Rgb(int n, int height, int width) =>
        new(Enumerable.Range(0, n).Select(i => i % 2).ToArray(), 2, 3, height, width, (i, p) => ((i * 13) + (p * 7 % 97)) % 101 / 100f);

    public static TheoryData<string> Kinds() => ["trivial_augment", "pad_crop", "pad_crop_reflect", "random_erasing", "random_erasing_noise"];

    private static Augmentation Of(string kind) => kind switch
    {
        "trivial_augment" => new TrivialAugment(),
        "pad_crop" => new PadCrop(3),
        "pad_crop_reflect" => new PadCrop(3, Reflect: true),
        "random_erasing" => new RandomErasing(P: 0.9, ScaleMin: 0.1, ScaleMax: 0.4),
        "random_erasing_noise" => new RandomErasing(P: 0.9, ScaleMin: 0.1, ScaleMax: 0.4, RandomValue: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_sample_depends_only_on_seed_epoch_and_index_and_changes_with_them(string kind)
    {
        var source = Rgb(12, 20, 18);
        var pre = new ImagePreprocessor((16, 16), 3, Identity, [Of(kind)]);
        Assert.True(pre.HasRandomAugmentation);
        int[] indices = [.. Enumerable.Range(0, 12)];
        using var a = pre.Batch(source, indices, train: true, seed: 5, epoch: 2);
        using var again = pre.Batch(source, indices, train: true, seed: 5, epoch: 2);
        Assert.Equal(Values(a), Values(again));

        // Another batch composition: the same sample gets the same result.
        using var pair = pre.Batch(source, [9, 4], train: true, seed: 5, epoch: 2);
        Assert.Equal(Values(a[9]), Values(pair[0]));
        Assert.Equal(Values(a[4]), Values(pair[1]));

        // Another epoch or seed draws otherwise (over twelve samples, some must differ), and the plain image differs too.
        using var epoch = pre.Batch(source, indices, train: true, seed: 5, epoch: 3);
        using var seed = pre.Batch(source, indices, train: true, seed: 6, epoch: 2);
        using var plain = pre.Batch(source, indices, train: false, seed: 5, epoch: 2);
        Assert.NotEqual(Values(a), Values(epoch));
        Assert.NotEqual(Values(a), Values(seed));
        Assert.NotEqual(Values(a), Values(plain));

        // Pixel values stay in [0, 1], except the noise random erasing writes on purpose.
        if (kind != "random_erasing_noise")
        {
            Assert.All(Values(a), v => Assert.InRange(v, 0f, 1f));
        }
        Assert.All(Values(a), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Every_trivial_augment_operation_keeps_the_shape_and_the_range_and_the_identity_changes_nothing()
    {
        using var scope = NewDisposeScope();
        var image = tensor(Enumerable.Range(0, 3 * 12 * 10).Select(p => p * 37 % 101 / 100f).ToArray(), [1, 3, 12, 10]);
        foreach (var op in Enum.GetValues<TrivialAugmentWide.Op>())
        {
            foreach (var magnitude in new[] { -0.9, 0.5, 0.99 })
            {
                double m = op switch
                {
                    TrivialAugmentWide.Op.Posterize => 3,
                    TrivialAugmentWide.Op.Rotate => magnitude * 135,
                    TrivialAugmentWide.Op.Solarize => Math.Abs(magnitude),
                    _ => magnitude,
                };
                var result = TrivialAugmentWide.Apply(image, op, m);
                Assert.Equal(image.shape, result.shape);
                Assert.All(Values(result), v => Assert.InRange(v, 0f, 1f));
            }
        }
        Assert.Equal(Values(image), Values(TrivialAugmentWide.Apply(image, TrivialAugmentWide.Op.Identity, 0)));

        // Two known operations: posterize to 1 bit and solarize above 0.5.
        var known = tensor(new[] { 0.2f, 0.6f, 0.9f, 0.45f }, [1, 1, 2, 2]);
        Assert.Equal([0f, 128 / 255f, 128 / 255f, 0f], Values(TrivialAugmentWide.Apply(known, TrivialAugmentWide.Op.Posterize, 1)));
        Assert.Equal(new[] { 0.2f, 0.4f, 0.1f, 0.45f }.Select(v => MathF.Round(v, 5)), Values(TrivialAugmentWide.Apply(known, TrivialAugmentWide.Op.Solarize, 0.55)).Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public void Trivial_augment_draws_every_operation_and_only_valid_magnitudes()
    {
        var seen = new int[14];
        for (var s = 0; s < 2000; s++)
        {
            var (op, magnitude) = TrivialAugmentWide.Draw(new Random(s), 31);
            seen[(int)op]++;
            Assert.True(op switch
            {
                TrivialAugmentWide.Op.Posterize => magnitude is >= 2 and <= 8 && magnitude == Math.Floor(magnitude),
                TrivialAugmentWide.Op.Solarize => magnitude is >= 0 and <= 1,
                TrivialAugmentWide.Op.Rotate => Math.Abs(magnitude) <= 135,
                _ => Math.Abs(magnitude) <= 0.99,
            }, $"{op} {magnitude}");
        }
        Assert.All(seen, count => Assert.InRange(count, 100, 200));
    }

    [Fact]
    public void Pad_crop_is_a_shift_of_at_most_the_padding()
    {
        // A single bright pixel in the centre moves by at most 3 pixels each way.
        var source = new MemorySource([0], 1, 1, 16, 16, (_, p) => p == (8 * 16) + 8 ? 1f : 0f);
        var pre = new ImagePreprocessor((16, 16), 1, new MeanStdNormalization([0f], [1f]), [new PadCrop(3)]);
        var positions = new System.Collections.Generic.HashSet<int>();
        for (var epoch = 0; epoch < 30; epoch++)
        {
            using var batch = pre.Batch(source, [0], train: true, seed: 1, epoch);
            var values = Values(batch);
            Assert.Equal(1, values.Count(v => v == 1f));
            var at = Array.IndexOf(values, 1f);
            Assert.InRange(Math.Abs((at / 16) - 8), 0, 3);
            Assert.InRange(Math.Abs((at % 16) - 8), 0, 3);
            positions.Add(at);
        }
        Assert.True(positions.Count > 5, $"only {positions.Count} offsets in 30 epochs");
    }

    [Fact]
    public void Random_erasing_zeroes_one_rectangle_of_the_normalised_input_within_the_area_bounds()
    {
        var source = new MemorySource([0], 1, 3, 20, 20, (_, _) => 0.8f);
        var pre = new ImagePreprocessor((20, 20), 3, Normalization.ImageNet, [new RandomErasing(P: 1, ScaleMin: 0.1, ScaleMax: 0.3)]);
        using var batch = pre.Batch(source, [0], train: true, seed: 3, epoch: 0);
        var zero = Values(batch[0, 0]).Select(v => v == 0f).ToArray();
        var erased = zero.Count(z => z);
        Assert.InRange(erased, 0.1 * 400 * 0.8, 0.3 * 400 * 1.2);
        var rows = Enumerable.Range(0, 20).Where(y => zero.Skip(y * 20).Take(20).Any(z => z)).ToArray();
        var cols = Enumerable.Range(0, 20).Where(x => Enumerable.Range(0, 20).Any(y => zero[(y * 20) + x])).ToArray();
        Assert.Equal(erased, rows.Length * cols.Length);
    }

    [Fact]
    public void A_reflected_padding_as_large_as_the_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((4, 8), 3, Identity, [new PadCrop(4, Reflect: true)]));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new RandomErasing(ScaleMin: 0.5, ScaleMax: 0.2)]));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new Mix(false, 0)]));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new TrivialAugment(1)]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mixing_is_deterministic_per_sample_and_keeps_the_share_in_unit_range(bool cutmix)
    {
        using var scope = NewDisposeScope();
        var images = rand([8, 3, 10, 10], generator: new Generator(1));
        var labels = tensor(Enumerable.Range(0, 8).Select(i => (long)(i % 3)).ToArray());
        Mix[] mixes = [new Mix(cutmix, 1.0)];
        int[] ids = [10, 11, 12, 13, 14, 15, 16, 17];
        var a = BatchMixing.Apply(images, labels, ids, mixes, 4, 1);
        var b = BatchMixing.Apply(images, labels, ids, mixes, 4, 1);
        var c = BatchMixing.Apply(images, labels, ids, mixes, 4, 2);
        Assert.Equal(Values(a.Images), Values(b.Images));
        Assert.Equal(Values(a.OwnShare), Values(b.OwnShare));
        Assert.NotEqual(Values(a.OwnShare), Values(c.OwnShare));
        Assert.All(Values(a.OwnShare), s => Assert.InRange(s, 0f, 1f));
        Assert.Equal(labels.flip(0).data<long>().ToArray(), a.PartnerLabels.data<long>().ToArray());
        for (var i = 0; i < 8; i++)
        {
            // Each mixed image is its share of itself plus the rest of its partner, pixel by pixel (mixup), or on
            // average (cutmix: the share is the part of the area it keeps).
            var own = images[i];
            var partner = images[7 - i];
            var share = a.OwnShare[i].item<float>();
            if (!cutmix)
            {
                var expected = (own * share) + (partner * (1 - share));
                Assert.True((a.Images[i] - expected).abs().max().item<float>() < 1e-5);
            }
            else
            {
                var kept = a.Images[i].eq(own).all(0).to_type(ScalarType.Float32).mean().item<float>();
                Assert.True(Math.Abs(kept - share) < 1e-5 || share == 1, $"sample {i}: keeps {kept}, share {share}");
            }
        }
    }

    [Fact]
    public void Beta_draws_have_the_right_mean_and_spread()
    {
        var random = new Random(3);
        var draws = Enumerable.Range(0, 20000).Select(_ => BatchMixing.Beta(random, 0.4)).ToArray();
        Assert.All(draws, d => Assert.InRange(d, 0, 1));
        var mean = draws.Average();
        var variance = draws.Select(d => (d - mean) * (d - mean)).Average();
        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)) = 0.1389 for a = 0.4.
        Assert.InRange(mean, 0.49, 0.51);
        Assert.InRange(variance, 0.13, 0.148);
    }

    [Fact]
    public void Test_time_views_flip_and_turn_and_refuse_a_quarter_turn_of_a_non_square_batch()
    {
        using var scope = NewDisposeScope();
        var batch = arange(2 * 1 * 3 * 3, ScalarType.Float32).view(2, 1, 3, 3);
        Assert.Equal(Values(batch.flip(3)), Values(TestTimeAugmentation.Views(batch, TtaView.Flip)[0]));
        Assert.Equal(Values(batch.flip(2)), Values(TestTimeAugmentation.Views(batch, TtaView.VerticalFlip)[0]));
        var turns = TestTimeAugmentation.Views(batch, TtaView.Rotate90);
        Assert.Equal(2, turns.Length);
        Assert.Equal(Values(batch), Values(turns[0].rot90(3, (2, 3))));
        Assert.Throws<ArgumentException>(() => TestTimeAugmentation.Views(zeros(1, 1, 3, 4), TtaView.Rotate90));

        // The average of softmax over the plain batch and its mirror image, with a model that sees the left column.
        Func<Tensor, Tensor> model = x => cat([x[.., 0, .., 0].sum(1, keepdim: true), zeros(x.shape[0], 1)], 1);
        var p = TestTimeAugmentation.Probabilities(model, batch, [TtaView.Flip]);
        var expected = (nn.functional.softmax(model(batch), 1) + nn.functional.softmax(model(batch.flip(3)), 1)) / 2;
        Assert.True((p - expected).abs().max().item<float>() < 1e-6);
    }
}
