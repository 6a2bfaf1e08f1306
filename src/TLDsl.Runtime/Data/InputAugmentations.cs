using System;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Data;

/// <summary>The augmentations that act on network-sized images <c>[N, C, H, W]</c> (pad_crop before normalisation,
/// random_erasing after it). Sample k of a group draws from <c>randoms[positions[k]]</c>.</summary>
internal static class InputAugmentations
{
    /// <summary>Pads by <see cref="PadCrop.Padding"/> a side and crops each image back at its own offset.</summary>
    internal static Tensor ApplyPadCrop(Tensor images, int[] positions, PadCrop pad, Random[] randoms)
    {
        var h = images.shape[2];
        var w = images.shape[3];
        var p = pad.Padding;
        var padded = pad.Reflect
            ? F.pad(images, [p, p, p, p], PaddingModes.Reflect)
            : F.pad(images, [p, p, p, p], PaddingModes.Constant, 0);
        var crops = new Tensor[positions.Length];
        for (var k = 0; k < positions.Length; k++)
        {
            var random = randoms[positions[k]];
            var top = random.Next((2 * p) + 1);
            var left = random.Next((2 * p) + 1);
            crops[k] = padded.narrow(0, k, 1).narrow(2, top, h).narrow(3, left, w);
        }

        return cat(crops, 0);
    }

    /// <summary>Erases one rectangle per drawn image (torchvision's RandomErasing.get_params: 10 tries, else none).</summary>
    internal static Tensor ApplyErasing(Tensor images, int[] positions, RandomErasing erasing, Random[] randoms)
    {
        var n = positions.Length;
        var c = (int)images.shape[1];
        var h = (int)images.shape[2];
        var w = (int)images.shape[3];
        var mask = new bool[n * h * w];
        float[]? noise = erasing.RandomValue ? new float[n * c * h * w] : null;
        var any = false;
        for (var k = 0; k < n; k++)
        {
            var random = randoms[positions[k]];
            if (random.NextDouble() >= erasing.P || Box(h, w, erasing, random) is not var (top, left, eh, ew))
            {
                continue;
            }

            any = true;
            for (var y = top; y < top + eh; y++)
            {
                Array.Fill(mask, true, (k * h * w) + (y * w) + left, ew);
            }

            if (noise is not null)
            {
                for (var ch = 0; ch < c; ch++)
                {
                    for (var y = top; y < top + eh; y++)
                    {
                        for (var x = left; x < left + ew; x++)
                        {
                            noise[(((k * c) + ch) * h * w) + (y * w) + x] = (float)Normal(random);
                        }
                    }
                }
            }
        }

        if (!any)
        {
            return images;
        }

        var erase = tensor(mask, [n, 1, h, w]);
        return noise is null ? images.masked_fill(erase, 0) : where(erase, tensor(noise, [n, c, h, w]), images);
    }

    private static (int Top, int Left, int Height, int Width)? Box(int h, int w, RandomErasing erasing, Random random)
    {
        var area = (double)h * w;
        var logMin = Math.Log(erasing.RatioMin);
        var logMax = Math.Log(erasing.RatioMax);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (erasing.ScaleMin + (random.NextDouble() * (erasing.ScaleMax - erasing.ScaleMin)));
            var ratio = Math.Exp(logMin + (random.NextDouble() * (logMax - logMin)));
            var eh = (int)Math.Round(Math.Sqrt(target * ratio));
            var ew = (int)Math.Round(Math.Sqrt(target / ratio));
            if (eh > 0 && ew > 0 && eh < h && ew < w)
            {
                return (random.Next(h - eh + 1), random.Next(w - ew + 1), eh, ew);
            }
        }

        return null;
    }

    /// <summary>A standard normal draw (Box-Muller) from the sample's generator.</summary>
    internal static double Normal(Random random)
    {
        var u = 1 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
