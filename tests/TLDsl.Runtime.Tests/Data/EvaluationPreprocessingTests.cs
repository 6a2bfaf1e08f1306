using System;
using System.Linq;
using TLDsl.Inference;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Tests.Data;

/// <summary>The managed evaluation preprocessing (TLDsl.Inference, shared with ONNX Runtime prediction) against
/// libtorch's antialiased bilinear interpolation, the implementation the runtime used before and still uses for
/// training augmentations.</summary>
public sealed class EvaluationPreprocessingTests
{
    public static TheoryData<int, int, int, int, int, int> Sizes => new()
    {
        { 3, 300, 451, 64, 64, 1 },    // photo down to a small square: antialiasing over ~5 pixels
        { 3, 300, 451, 224, 224, 2 },  // mild downscale, non-integer factor
        { 1, 28, 28, 112, 112, 3 },    // Fashion-MNIST up to 112: upscaling
        { 3, 90, 160, 100, 100, 4 },   // up in one direction, crop in the other
        { 1, 57, 33, 20, 31, 5 },      // odd sizes, non-square target
        { 3, 64, 64, 64, 64, 6 },      // already the right size: untouched
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Resize_and_crop_equal_torchs_antialiased_bilinear_interpolation(int channels, int height, int width, int targetHeight, int targetWidth, int seed)
    {
        var random = new Random(seed);
        var pixels = Enumerable.Range(0, channels * height * width).Select(_ => (float)random.NextDouble()).ToArray();
        var image = new PlanarImage(pixels, channels, height, width);

        var managed = EvaluationPreprocessing.ResizeAndCrop(image, targetHeight, targetWidth);

        using var scope = NewDisposeScope();
        var preprocessor = new ImagePreprocessor((targetHeight, targetWidth), channels, Normalization.ImageNet, []);
        var reference = preprocessor.ResizeAndCrop(tensor(pixels, [1, channels, height, width])).contiguous().data<float>().ToArray();
        Assert.Equal(reference.Length, managed.Pixels.Length);
        double worst = reference.Zip(managed.Pixels, (r, m) => Math.Abs(r - m)).Max();
        Assert.True(worst <= 2e-6, $"the managed resize differs from torch's interpolate by {worst:G3}");
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(1, 3)]
    [InlineData(3, 1)]
    public void Channels_bgr_and_normalisation_equal_the_tensor_path(int imageChannels, int networkChannels)
    {
        var random = new Random(imageChannels * 10 + networkChannels);
        int h = 50, w = 70;
        var pixels = Enumerable.Range(0, imageChannels * h * w).Select(_ => (float)random.NextDouble()).ToArray();
        var normalization = new BgrMeanNormalization([103.06f, 115.90f, 123.15f]);
        var preprocessor = new ImagePreprocessor((32, 32), networkChannels, networkChannels == 3 ? normalization : Normalization.ImageNet, []);

        var managed = preprocessor.Evaluation.Apply(new PlanarImage(pixels, imageChannels, h, w));

        // The same steps on tensors: resize and crop, channels, BGR, x * scale + shift.
        using var scope = NewDisposeScope();
        var x = preprocessor.ResizeAndCrop(tensor(pixels, [1, imageChannels, h, w]));
        if (imageChannels == 1 && networkChannels == 3)
        {
            x = x.expand(-1, 3, -1, -1);
        }
        else if (imageChannels == 3 && networkChannels == 1)
        {
            x = (x * tensor(new[] { 0.2989f, 0.587f, 0.114f }).view(1, 3, 1, 1)).sum(1, keepdim: true);
        }

        var (scale, shift, reverse) = (networkChannels == 3 ? normalization : Normalization.ImageNet).Affine();
        if (reverse && networkChannels == 3)
        {
            x = x.flip(1);
        }

        float[] s = networkChannels == 1 ? [scale.Average()] : scale, b = networkChannels == 1 ? [shift.Average()] : shift;
        var reference = (tensor(b).view(1, networkChannels, 1, 1) + (x * tensor(s).view(1, networkChannels, 1, 1))).contiguous().data<float>().ToArray();
        double largest = reference.Max(v => Math.Abs(v));
        double worst = reference.Zip(managed, (r, m) => Math.Abs(r - m)).Max();
        Assert.True(worst <= 1e-5 * Math.Max(1, largest), $"differs by {worst:G3} (largest value {largest:G3})");
    }
}
