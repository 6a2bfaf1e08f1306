using System;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Data;

/// <summary>The operations of TrivialAugmentWide on one image <c>[1, C, H, W]</c> with values in [0, 1]. Each sample
/// draws, from its own generator: the operation, then (operations with a strength) the magnitude level, then (signed
/// operations) the direction.</summary>
internal static class TrivialAugmentWide
{
    /// <summary>The operations, in torchvision's order.</summary>
    internal enum Op
    {
        Identity, ShearX, ShearY, TranslateX, TranslateY, Rotate, Brightness, Color, Contrast, Sharpness, Posterize, Solarize,
        AutoContrast, Equalize,
    }

    private const int OpCount = 14;
    private static readonly float[] GrayWeights = [0.2989f, 0.587f, 0.114f];
    private static readonly float[] SmoothKernel = [1, 1, 1, 1, 5, 1, 1, 1, 1];

    /// <summary>Draws an operation and its magnitude for one sample.</summary>
    internal static (Op Op, double Magnitude) Draw(Random random, int bins)
    {
        var op = (Op)random.Next(OpCount);
        if (op is Op.Identity or Op.AutoContrast or Op.Equalize)
        {
            return (op, 0);
        }

        var level = random.Next(bins);
        var fraction = (double)level / (bins - 1);
        var magnitude = op switch
        {
            Op.ShearX or Op.ShearY => 0.99 * fraction,
            Op.TranslateX or Op.TranslateY => 32.0 / 224 * fraction,
            Op.Rotate => 135.0 * fraction,
            Op.Brightness or Op.Color or Op.Contrast or Op.Sharpness => 0.99 * fraction,
            // torchvision: 8 - round(level / ((bins - 1) / 6)) bits, from 8 down to 2.
            Op.Posterize => 8 - (int)Math.Round(level / ((bins - 1) / 6.0), MidpointRounding.ToEven),
            Op.Solarize => 1 - fraction,
            _ => throw new ArgumentOutOfRangeException(nameof(random), op, "Unknown TrivialAugmentWide operation."),
        };
        var signed = op is not (Op.Posterize or Op.Solarize);
        if (signed && random.NextDouble() < 0.5)
        {
            magnitude = -magnitude;
        }

        return (op, magnitude);
    }

    /// <summary>Applies <paramref name="op"/> at <paramref name="magnitude"/>; the result stays in [0, 1].</summary>
    internal static Tensor Apply(Tensor image, Op op, double magnitude)
    {
        var h = image.shape[2];
        var w = image.shape[3];
        return op switch
        {
            Op.Identity => image,
            // Output pixel -> input pixel in normalised coordinates, about the centre; nearest neighbour and black
            // outside, as torchvision's defaults.
            Op.ShearX => Affine(image, [1, (float)(magnitude * h / w), 0, 0, 1, 0]),
            Op.ShearY => Affine(image, [1, 0, 0, (float)(magnitude * w / h), 1, 0]),
            Op.TranslateX => Affine(image, [1, 0, (float)(-2 * magnitude), 0, 1, 0]),
            Op.TranslateY => Affine(image, [1, 0, 0, 0, 1, (float)(-2 * magnitude)]),
            Op.Rotate => Rotate(image, magnitude),
            Op.Brightness => Blend(image, zeros_like(image), 1 + magnitude),
            Op.Color => image.shape[1] == 3 ? Blend(image, Gray(image).expand_as(image), 1 + magnitude) : image,
            Op.Contrast => Blend(image, Gray(image).mean([1, 2, 3], keepdim: true).expand_as(image), 1 + magnitude),
            Op.Sharpness => Blend(image, Smooth(image), 1 + magnitude),
            Op.Posterize => Posterize(image, (int)magnitude),
            Op.Solarize => where(image >= magnitude, 1 - image, image),
            Op.AutoContrast => AutoContrast(image),
            Op.Equalize => Equalize(image),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown TrivialAugmentWide operation."),
        };
    }

    private static Tensor Affine(Tensor image, float[] theta)
    {
        var grid = F.affine_grid(tensor(theta, [1, 2, 3]), [1, image.shape[1], image.shape[2], image.shape[3]], align_corners: false);
        return F.grid_sample(image, grid, GridSampleMode.Nearest, GridSamplePaddingMode.Zeros, align_corners: false);
    }

    private static Tensor Rotate(Tensor image, double degrees)
    {
        var h = image.shape[2];
        var w = image.shape[3];
        var (sin, cos) = Math.SinCos(degrees * Math.PI / 180);
        return Affine(image, [(float)cos, (float)(-sin * h / w), 0, (float)(sin * w / h), (float)cos, 0]);
    }

    /// <summary>PIL's ImageEnhance blend: <c>factor × image + (1 - factor) × degenerate</c>, clamped to [0, 1].</summary>
    private static Tensor Blend(Tensor image, Tensor degenerate, double factor) =>
        ((image * factor) + (degenerate * (1 - factor))).clamp_(0, 1);

    private static Tensor Gray(Tensor image) =>
        image.shape[1] == 3 ? (image * tensor(GrayWeights).view(1, 3, 1, 1)).sum(1, keepdim: true) : image;

    /// <summary>PIL's SMOOTH kernel (1 1 1 / 1 5 1 / 1 1 1, over 13) inside; the border pixels keep their values.</summary>
    private static Tensor Smooth(Tensor image)
    {
        var c = image.shape[1];
        var h = image.shape[2];
        var w = image.shape[3];
        if (h < 3 || w < 3)
        {
            return image;
        }

        var kernel = tensor(SmoothKernel, [1, 1, 3, 3]).div_(13).expand(c, 1, 3, 3).contiguous();
        var inner = F.conv2d(image, kernel, groups: c);
        var result = image.clone();
        result.narrow(2, 1, h - 2).narrow(3, 1, w - 2).copy_(inner);
        return result;
    }

    private static Tensor Posterize(Tensor image, int bits)
    {
        var step = 1 << (8 - bits);
        return (image * 255).round_().div_(step).floor_().mul_(step).div_(255);
    }

    private static Tensor AutoContrast(Tensor image)
    {
        var low = image.amin([2, 3], keepdim: true);
        var high = image.amax([2, 3], keepdim: true);
        var flat = high.le(low);
        var scale = where(flat, ones_like(high), 1 / (high - low).clamp_min(1e-12));
        var shifted = where(flat, zeros_like(low), low);
        return ((image - shifted) * scale).clamp_(0, 1);
    }

    /// <summary>torchvision's equalize on 8-bit levels, each channel by its own histogram.</summary>
    private static Tensor Equalize(Tensor image)
    {
        var c = (int)image.shape[1];
        var size = (int)(image.shape[2] * image.shape[3]);
        var levels = (image * 255).round_().clamp_(0, 255).contiguous().data<float>().ToArray();
        var result = new float[levels.Length];
        var histogram = new int[256];
        var lut = new int[256];
        for (var ch = 0; ch < c; ch++)
        {
            Array.Clear(histogram);
            var channel = levels.AsSpan(ch * size, size);
            foreach (var v in channel)
            {
                histogram[(int)v]++;
            }

            var last = 255;
            while (last > 0 && histogram[last] == 0)
            {
                last--;
            }

            var step = (size - histogram[last]) / 255;
            if (step == 0)
            {
                for (var i = 0; i < size; i++)
                {
                    result[(ch * size) + i] = channel[i] / 255f;
                }

                continue;
            }

            // lut[v] = (cumulative count below v + step / 2) / step, clamped to 255.
            var cumulative = 0;
            for (var v = 0; v < 256; v++)
            {
                lut[v] = Math.Min(255, (cumulative + (step / 2)) / step);
                cumulative += histogram[v];
            }

            for (var i = 0; i < size; i++)
            {
                result[(ch * size) + i] = lut[(int)channel[i]] / 255f;
            }
        }

        return tensor(result, image.shape);
    }
}
