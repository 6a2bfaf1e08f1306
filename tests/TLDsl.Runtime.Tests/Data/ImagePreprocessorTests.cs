using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Tests.Data;

public sealed class ImagePreprocessorTests
{
    private static readonly Normalization Identity = new MeanStdNormalization([0f, 0f, 0f], [1f, 1f, 1f]);

    private static readonly Augmentation[] AllAugmentations =
        [new RandomResizedCrop(0.5, 1.0), new HorizontalFlip(), new Rotation(15), new ColorJitter(0.3, 0.3, 0.3, 0.1)];

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static MemorySource Rgb(int n, int height, int width) =>
        new(Enumerable.Range(0, n).Select(i => i % 2).ToArray(), 2, 3, height, width, (i, p) => ((i * 13) + (p * 7 % 97)) % 101 / 100f);

    [Fact]
    public void Eval_batch_shape_and_gray_to_three_channels()
    {
        var source = new MemorySource([0, 1, 0, 1, 1], 2, 1, 28, 28, (i, p) => ((i * 31) + p) % 256 / 255f);
        var pre = new ImagePreprocessor((112, 112), 3, Identity, []);
        using var batch = pre.Batch(source, [4, 0, 2], train: false, seed: 0, epoch: 0);
        Assert.Equal(new long[] { 3, 3, 112, 112 }, batch.shape);
        Assert.Equal(ScalarType.Float32, batch.dtype);
        Assert.Equal(Values(batch[.., 0]), Values(batch[.., 1]));
        Assert.Equal(Values(batch[.., 0]), Values(batch[.., 2]));

        // Upscaling: antialiasing changes nothing, so this is torch's plain bilinear.
        using var first = tensor(source.Decode(4).Pixels, [1, 1, 28, 28]);
        using var expected = F.interpolate(first, [112, 112], mode: InterpolationMode.Bilinear, align_corners: false);
        var diff = Values(batch[0, 0]).Zip(Values(expected), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(diff < 1e-5, $"max difference {diff}");
    }

    [Fact]
    public void Colour_to_one_channel_uses_luminance()
    {
        var source = new MemorySource([0], 1, 3, 2, 2, (_, p) => p < 4 ? 1f : 0f);
        var pre = new ImagePreprocessor((2, 2), 1, Identity, []);
        using var batch = pre.Batch(source, [0], false, 0, 0);
        Assert.Equal(new long[] { 1, 1, 2, 2 }, batch.shape);
        Assert.All(Values(batch), v => Assert.Equal(0.2989f, v, 4));
    }

    [Fact]
    public void ImageNet_normalisation_of_a_known_pixel()
    {
        float[] rgb = [0.2f, 0.5f, 0.8f];
        var source = new MemorySource([0], 1, 3, 8, 8, (_, p) => rgb[p / 64]);
        var pre = new ImagePreprocessor((8, 8), 3, Normalization.ImageNet, []);
        using var batch = pre.Batch(source, [0], false, 0, 0);
        Assert.Equal((0.2f - 0.485f) / 0.229f, batch[0, 0, 3, 3].item<float>(), 5);
        Assert.Equal((0.5f - 0.456f) / 0.224f, batch[0, 1, 3, 3].item<float>(), 5);
        Assert.Equal((0.8f - 0.406f) / 0.225f, batch[0, 2, 3, 3].item<float>(), 5);
    }

    [Fact]
    public void Bgr_mean_normalisation_reverses_channels()
    {
        float[] rgb = [0.2f, 0.5f, 0.8f];
        var source = new MemorySource([0], 1, 3, 8, 8, (_, p) => rgb[p / 64]);
        var pre = new ImagePreprocessor((8, 8), 3, new BgrMeanNormalization([103.06f, 115.90f, 123.15f]), []);
        using var batch = pre.Batch(source, [0], false, 0, 0);
        Assert.Equal((0.8f * 255) - 103.06f, batch[0, 0, 5, 2].item<float>(), 3);
        Assert.Equal((0.5f * 255) - 115.90f, batch[0, 1, 5, 2].item<float>(), 3);
        Assert.Equal((0.2f * 255) - 123.15f, batch[0, 2, 5, 2].item<float>(), 3);
    }

    [Fact]
    public void Resizes_the_shorter_side_then_crops_the_centre()
    {
        var source = Rgb(1, 20, 40);
        var pre = new ImagePreprocessor((10, 10), 3, Identity, []);
        using var batch = pre.Batch(source, [0], false, 0, 0);
        using var image = tensor(source.Decode(0).Pixels, [1, 3, 20, 40]);
        using var resized = F.interpolate(image, [10, 20], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        using var crop = resized[.., .., .., 5..15];
        // Evaluation runs the managed resize (TLDsl.Inference, shared with ONNX Runtime prediction): torch's values
        // to float rounding.
        AssertNear(Values(crop), Values(batch));
    }

    [Fact]
    public void Antialiased_downscale_differs_from_nearest()
    {
        // A 1-pixel checkerboard: nearest keeps only black or only white pixels; an antialiased filter averages to grey.
        var source = new MemorySource([0], 1, 1, 64, 64, (_, p) => ((p / 64) + (p % 64)) % 2);
        var pre = new ImagePreprocessor((16, 16), 1, Identity, []);
        using var batch = pre.Batch(source, [0], false, 0, 0);
        using var image = tensor(source.Decode(0).Pixels, [1, 1, 64, 64]);
        using var nearest = F.interpolate(image, [16, 16], mode: InterpolationMode.Nearest);
        var smooth = Values(batch);
        var hard = Values(nearest);
        Assert.All(smooth, v => Assert.InRange(v, 0.4f, 0.6f));
        Assert.All(hard, v => Assert.True(v is 0f or 1f));
        Assert.True(smooth.Zip(hard, (a, b) => Math.Abs(a - b)).Average() > 0.4);
    }

    [Fact]
    public void Same_seed_gives_the_same_batch_whatever_the_batch_composition()
    {
        var source = Rgb(24, 30, 26);
        var pre = new ImagePreprocessor((16, 16), 3, Normalization.ImageNet, AllAugmentations);
        int[] indices = [.. Enumerable.Range(0, 24)];
        using var a = pre.Batch(source, indices, train: true, seed: 5, epoch: 2);
        using var b = pre.Batch(source, indices, train: true, seed: 5, epoch: 2);
        Assert.Equal(Values(a), Values(b));

        using var reversed = pre.Batch(source, [.. indices.Reverse()], train: true, seed: 5, epoch: 2);
        using var back = reversed.flip(0);
        Assert.Equal(Values(a), Values(back));

        using var pair = pre.Batch(source, [17, 3], train: true, seed: 5, epoch: 2);
        Assert.Equal(Values(a[17]), Values(pair[0]));
        Assert.Equal(Values(a[3]), Values(pair[1]));
    }

    [Fact]
    public void Decoding_in_small_chunks_gives_the_same_batch()
    {
        var source = Rgb(20, 30, 26);
        var pre = new ImagePreprocessor((16, 16), 3, Normalization.ImageNet, AllAugmentations);
        int[] indices = [.. Enumerable.Range(0, 20).Reverse()];
        using var whole = pre.Batch(source, indices, true, 4, 1);
        using var wholeEval = pre.Batch(source, indices, false, 4, 1);
        var budget = ImagePreprocessor.DecodedBudget;
        try
        {
            ImagePreprocessor.DecodedBudget = 1;
            using var chunked = pre.Batch(source, indices, true, 4, 1);
            using var chunkedEval = pre.Batch(source, indices, false, 4, 1);
            Assert.Equal(Values(whole), Values(chunked));
            Assert.Equal(Values(wholeEval), Values(chunkedEval));
        }
        finally
        {
            ImagePreprocessor.DecodedBudget = budget;
        }
    }

    [Fact]
    public void Another_epoch_or_seed_draws_other_augmentations()
    {
        var source = Rgb(8, 30, 26);
        var pre = new ImagePreprocessor((16, 16), 3, Identity, AllAugmentations);
        Assert.True(pre.HasRandomAugmentation);
        int[] indices = [.. Enumerable.Range(0, 8)];
        using var a = pre.Batch(source, indices, true, 5, 0);
        using var b = pre.Batch(source, indices, true, 5, 1);
        using var c = pre.Batch(source, indices, true, 6, 0);
        Assert.NotEqual(Values(a), Values(b));
        Assert.NotEqual(Values(a), Values(c));
        for (var i = 0; i < 8; i++)
        {
            Assert.NotEqual(Values(a[i]), Values(b[i]));
        }

        // Without normalisation the jittered pixels stay in [0, 1].
        Assert.All(Values(a), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Evaluation_ignores_augmentations_seed_and_epoch()
    {
        var source = Rgb(4, 30, 26);
        var plain = new ImagePreprocessor((16, 16), 3, Identity, []);
        var augmented = new ImagePreprocessor((16, 16), 3, Identity, AllAugmentations);
        using var a = plain.Batch(source, [0, 1, 2, 3], false, 1, 1);
        using var b = augmented.Batch(source, [0, 1, 2, 3], false, 9, 4);
        Assert.Equal(Values(a), Values(b));
    }

    [Fact]
    public void Flip_with_certainty_mirrors()
    {
        var source = Rgb(3, 12, 12);
        var flip = new ImagePreprocessor((12, 12), 3, Identity, [new HorizontalFlip(1.0)]);
        using var flipped = flip.Batch(source, [0, 1, 2], true, 0, 0);
        using var plain = flip.Batch(source, [0, 1, 2], false, 0, 0);
        using var mirrored = plain.flip(3);
        Assert.Equal(Values(mirrored), Values(flipped));
        Assert.False(new ImagePreprocessor((12, 12), 3, Identity, [new HorizontalFlip(0), new Rotation(0), new ColorJitter(0, 0, 0, 0)]).HasRandomAugmentation);
    }

    [Fact]
    public void Vertical_flip_with_certainty_mirrors_top_to_bottom()
    {
        var source = Rgb(3, 12, 10);
        var flip = new ImagePreprocessor((12, 10), 3, Identity, [new VerticalFlip(1.0)]);
        using var flipped = flip.Batch(source, [0, 1, 2], true, 0, 0);
        using var plain = flip.Batch(source, [0, 1, 2], false, 0, 0);
        using var mirrored = plain.flip(2);
        Assert.Equal(Values(mirrored), Values(flipped));
        using var sideways = plain.flip(3);
        Assert.NotEqual(Values(sideways), Values(flipped));
        Assert.False(new ImagePreprocessor((12, 12), 3, Identity, [new VerticalFlip(0)]).HasRandomAugmentation);
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new VerticalFlip(-0.1)]));
    }

    [Fact]
    public void Full_area_square_crop_is_the_plain_resize()
    {
        var source = Rgb(2, 40, 40);
        var pre = new ImagePreprocessor((16, 16), 3, Identity, [new RandomResizedCrop(1, 1, 1, 1)]);
        using var train = pre.Batch(source, [0, 1], true, 3, 0);
        using var eval = pre.Batch(source, [0, 1], false, 3, 0);
        AssertNear(Values(eval), Values(train)); // torch's resize in training, the managed one in evaluation
    }

    [Fact]
    public void Crop_box_follows_torchvision_bounds()
    {
        var crop = new RandomResizedCrop(0.08, 1.0);
        var random = new Random(1);
        for (var i = 0; i < 500; i++)
        {
            var (top, left, h, w) = ImagePreprocessor.CropBox(30, 50, crop, random);
            Assert.InRange(h, 1, 30);
            Assert.InRange(w, 1, 50);
            Assert.InRange(top, 0, 30 - h);
            Assert.InRange(left, 0, 50 - w);
            var area = (double)h * w / 1500;
            Assert.InRange(area, 0.06, 1.0);
        }
    }

    [Fact]
    public void Rotation_by_90_degrees_turns_counter_clockwise()
    {
        var image = tensor(Enumerable.Range(0, 2 * 6 * 6).Select(i => (float)i).ToArray(), [2, 6, 6]);
        using var rotated = ImagePreprocessor.Rotate(image, 90);
        using var expected = image.rot90(1, (1, 2));
        var diff = Values(rotated).Zip(Values(expected), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(diff < 1e-3, $"max difference {diff}");
        using var half = ImagePreprocessor.Rotate(image, 180);
        using var both = image.flip(1, 2);
        Assert.True(Values(half).Zip(Values(both), (a, b) => Math.Abs(a - b)).Max() < 1e-3);
    }

    [Fact]
    public void Mixed_sizes_and_channels_in_one_batch()
    {
        using var dir = new TempDir();
        FolderImageSourceTests.Png(dir.File("d", "a", "1.png"), 200, size: 10, channels: 1);
        FolderImageSourceTests.Png(dir.File("d", "a", "2.png"), 100, size: 30, channels: 3);
        FolderImageSourceTests.Png(dir.File("d", "b", "3.png"), 50, size: 8, channels: 4);
        var source = new FolderImageSource(Path.Combine(dir.Path, "d"), null);
        var pre = new ImagePreprocessor((8, 8), 3, Identity, []);
        using var batch = pre.Batch(source, [0, 1, 2], false, 0, 0);
        Assert.Equal(new long[] { 3, 3, 8, 8 }, batch.shape);
        Assert.Equal(200 / 255f, batch[0, 2, 4, 4].item<float>(), 5);
        Assert.Equal(100 / 255f, batch[1, 0, 4, 4].item<float>(), 5);
        Assert.Equal(50 / 255f, batch[2, 1, 0, 0].item<float>(), 5);
        using var labels = ImagePreprocessor.Labels(source, [2, 0, 1]);
        Assert.Equal(ScalarType.Int64, labels.dtype);
        Assert.Equal(new long[] { 1, 0, 0 }, labels.data<long>().ToArray());
    }

    [Theory]
    [InlineData(1f, 0f, 0f, 1 / 3f, 0f, 1f, 0f)] // red a third of a turn on is green
    [InlineData(1f, 0f, 0f, 0.5f, 0f, 1f, 1f)] // half a turn: cyan
    [InlineData(1f, 0f, 0f, -1 / 3f, 0f, 0f, 1f)] // a third back: blue
    [InlineData(0.8f, 0.4f, 0.2f, 0.25f, 0.3f, 0.8f, 0.2f)] // hue 20 deg to 110 deg; value 0.8 and chroma 0.6 kept
    [InlineData(0.8f, 0.4f, 0.2f, -0.25f, 0.7f, 0.2f, 0.8f)] // 20 deg back to 290 deg, across 0
    [InlineData(0.5f, 0.5f, 0.5f, 0.4f, 0.5f, 0.5f, 0.5f)] // grey has no hue to turn
    public void HueShiftOfAKnownPixel(float r, float g, float b, float shift, float er, float eg, float eb)
    {
        using var image = tensor(new[] { r, g, b }, [1, 3, 1, 1]);
        using var shifted = ImagePreprocessor.ShiftHue(image, [shift]);
        var rgb = Values(shifted);
        Assert.Equal(er, rgb[0], 5);
        Assert.Equal(eg, rgb[1], 5);
        Assert.Equal(eb, rgb[2], 5);
    }

    [Fact]
    public void Hue_shift_of_zero_leaves_the_image_unchanged()
    {
        var source = Rgb(3, 9, 7);
        var pre = new ImagePreprocessor((9, 7), 3, Identity, []);
        using var batch = pre.Batch(source, [0, 1, 2], false, 0, 0);
        using var shifted = ImagePreprocessor.ShiftHue(batch, [0f, 0f, 0f]);
        var diff = Values(shifted).Zip(Values(batch), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(diff < 1e-6, $"max difference {diff}");

        var none = new ImagePreprocessor((9, 7), 3, Identity, [new ColorJitter(0, 0, 0, 0)]);
        using var train = none.Batch(source, [0, 1, 2], true, 3, 1);
        Assert.Equal(Values(batch), Values(train));
    }

    [Fact]
    public void Hue_jitter_turns_colours_only_and_is_deterministic()
    {
        var source = Rgb(6, 10, 10);
        var pre = new ImagePreprocessor((10, 10), 3, Identity, [new ColorJitter(0, 0, 0, 0.5)]);
        Assert.True(pre.HasRandomAugmentation);
        int[] indices = [.. Enumerable.Range(0, 6)];
        using var plain = pre.Batch(source, indices, false, 0, 0);
        using var a = pre.Batch(source, indices, true, 7, 2);
        using var again = pre.Batch(source, [.. indices.Reverse()], true, 7, 2);
        using var back = again.flip(0);
        using var other = pre.Batch(source, indices, true, 7, 3);
        Assert.Equal(Values(a), Values(back));
        Assert.NotEqual(Values(a), Values(other));
        Assert.All(Values(a), v => Assert.InRange(v, 0f, 1f));
        for (var i = 0; i < 6; i++)
        {
            // A hue turn keeps each pixel's largest and smallest channel (value and chroma) but changes the colour.
            Assert.NotEqual(Values(plain[i]), Values(a[i]));
            using var maxBefore = plain[i].amax([0]);
            using var maxAfter = a[i].amax([0]);
            using var minBefore = plain[i].amin([0]);
            using var minAfter = a[i].amin([0]);
            Assert.True(Values(maxBefore).Zip(Values(maxAfter), (x, y) => Math.Abs(x - y)).Max() < 1e-5);
            Assert.True(Values(minBefore).Zip(Values(minAfter), (x, y) => Math.Abs(x - y)).Max() < 1e-5);
        }

        // One channel has no hue.
        var gray = new MemorySource([0, 1], 2, 1, 8, 8, (i, p) => ((i * 17) + p) % 23 / 22f);
        var grayPre = new ImagePreprocessor((8, 8), 1, Identity, [new ColorJitter(0, 0, 0, 0.5)]);
        using var grayTrain = grayPre.Batch(gray, [0, 1], true, 1, 0);
        using var grayEval = grayPre.Batch(gray, [0, 1], false, 1, 0);
        Assert.Equal(Values(grayEval), Values(grayTrain));
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new RandomResizedCrop(0, 1)]));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new HorizontalFlip(1.5)]));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new ColorJitter(0, 0, 0, 0.6)]));
        Assert.Throws<ArgumentException>(() => new ImagePreprocessor((8, 8), 3, Identity, [new ColorJitter(0, 0, 0, double.NaN)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImagePreprocessor((8, 8), 2, Identity, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImagePreprocessor((0, 8), 3, Identity, []));
    }

    [Fact]
    public void Fashion_batches_are_well_formed_and_independent_of_the_thread_count()
    {
        // The batch bench/ times (preprocess): its content must not depend on how many threads torch uses.
        string[] labels = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];
        var dir = RepoPaths.Get("samples", "fashion-mnist");
        var source = new IdxImageSource(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"), labels);
        var eval = new ImagePreprocessor((112, 112), 3, Normalization.ImageNet, []);
        var train = new ImagePreprocessor((112, 112), 3, Normalization.ImageNet, [new RandomResizedCrop(0.7, 1.0), new HorizontalFlip()]);
        var heavy = new ImagePreprocessor((112, 112), 3, Normalization.ImageNet, AllAugmentations);
        int[] indices = [.. Enumerable.Range(0, 64).Select(i => i * 41)];

        var threads = get_num_threads();
        try
        {
            foreach (var (pre, isTrain) in new[] { (eval, false), (train, true), (heavy, true) })
            {
                set_num_threads(threads);
                using var many = pre.Batch(source, indices, isTrain, 1, 2);
                set_num_threads(1);
                using var one = pre.Batch(source, indices, isTrain, 1, 2);
                Assert.Equal(new long[] { 64, 3, 112, 112 }, many.shape);
                Assert.True(many.isfinite().all().item<bool>(), "a batch holds a value that is not finite");
                Assert.True(many.allclose(one, rtol: 1e-5, atol: 1e-5), $"{threads} threads and 1 thread give other batches");
                // Gray images in three channels: after ImageNet normalisation the channels differ only by mean and std.
                Assert.False(many[.., 0].allclose(many[.., 1]), "the channels were not normalised separately");
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static void AssertNear(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 2e-6, $"differs by {worst}");
    }
}
