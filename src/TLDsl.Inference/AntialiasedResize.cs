using System;

namespace TLDsl.Inference;

/// <summary>Bilinear resizing with antialiasing, computed as PyTorch's <c>interpolate(mode="bilinear",
/// align_corners=False, antialias=True)</c> computes it on float images (and as PIL's bilinear filter): a triangle
/// filter whose support widens with the downscale factor, weights normalised per output pixel, the width resampled
/// first and then the height, float arithmetic throughout. A dimension whose size does not change is not resampled.</summary>
internal static class AntialiasedResize
{
    /// <summary>One output index's input range and normalised weights.</summary>
    private readonly record struct Taps(int First, float[] Weights);

    /// <summary>Resamples <paramref name="image"/> to <paramref name="height"/> x <paramref name="width"/> and returns
    /// only the window of <paramref name="cropHeight"/> x <paramref name="cropWidth"/> output pixels starting at
    /// (<paramref name="top"/>, <paramref name="left"/>): the same values as resizing fully and cropping.</summary>
    public static PlanarImage ResizeWindow(PlanarImage image, int height, int width, int top, int left, int cropHeight, int cropWidth)
    {
        int c = image.Channels, h = image.Height, w = image.Width;
        var src = image.Pixels;

        // Width first (as PyTorch): every input row, only the kept columns.
        float[] rows;
        if (width == w)
        {
            rows = new float[c * h * cropWidth];
            for (int ch = 0; ch < c; ch++)
            {
                for (int y = 0; y < h; y++)
                {
                    Array.Copy(src, ((ch * h) + y) * w + left, rows, ((ch * h) + y) * cropWidth, cropWidth);
                }
            }
        }
        else
        {
            var taps = Weights(w, width, left, cropWidth);
            rows = new float[c * h * cropWidth];
            for (int ch = 0; ch < c; ch++)
            {
                for (int y = 0; y < h; y++)
                {
                    int inRow = ((ch * h) + y) * w;
                    int outRow = ((ch * h) + y) * cropWidth;
                    for (int x = 0; x < cropWidth; x++)
                    {
                        var tap = taps[x];
                        var weights = tap.Weights;
                        float sum = src[inRow + tap.First] * weights[0];
                        for (int j = 1; j < weights.Length; j++)
                        {
                            sum += src[inRow + tap.First + j] * weights[j];
                        }

                        rows[outRow + x] = sum;
                    }
                }
            }
        }

        // Then the height: only the kept rows.
        var result = new float[c * cropHeight * cropWidth];
        if (height == h)
        {
            for (int ch = 0; ch < c; ch++)
            {
                Array.Copy(rows, ((ch * h) + top) * cropWidth, result, ch * cropHeight * cropWidth, cropHeight * cropWidth);
            }
        }
        else
        {
            var taps = Weights(h, height, top, cropHeight);
            for (int ch = 0; ch < c; ch++)
            {
                for (int y = 0; y < cropHeight; y++)
                {
                    var tap = taps[y];
                    var weights = tap.Weights;
                    int outRow = ((ch * cropHeight) + y) * cropWidth;
                    int inRow = ((ch * h) + tap.First) * cropWidth;
                    for (int x = 0; x < cropWidth; x++)
                    {
                        result[outRow + x] = rows[inRow + x] * weights[0];
                    }

                    for (int j = 1; j < weights.Length; j++)
                    {
                        int row = inRow + (j * cropWidth);
                        float wj = weights[j];
                        for (int x = 0; x < cropWidth; x++)
                        {
                            result[outRow + x] += rows[row + x] * wj;
                        }
                    }
                }
            }
        }

        return new PlanarImage(result, c, cropHeight, cropWidth);
    }

    /// <summary>The taps of output indices [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>)
    /// when <paramref name="inputSize"/> samples are resampled to <paramref name="outputSize"/>.</summary>
    private static Taps[] Weights(int inputSize, int outputSize, int first, int count)
    {
        float scale = (float)inputSize / outputSize;
        // The triangle filter has support 1; downscaling stretches it by the scale.
        float support = scale >= 1f ? scale : 1f;
        float invScale = scale >= 1f ? (float)(1.0 / scale) : 1f;
        var taps = new Taps[count];
        for (int k = 0; k < count; k++)
        {
            int i = first + k;
            float center = (float)(scale * (i + 0.5));
            int min = Math.Max((int)(center - support + 0.5), 0);
            int size = Math.Min((int)(center + support + 0.5), inputSize) - min;
            var weights = new float[Math.Max(size, 1)];
            float total = 0f;
            for (int j = 0; j < size; j++)
            {
                float x = (float)((j + min - center + 0.5) * invScale);
                float wt = Triangle(x);
                weights[j] = wt;
                total += wt;
            }

            if (total != 0f)
            {
                for (int j = 0; j < size; j++)
                {
                    weights[j] /= total;
                }
            }

            taps[k] = new Taps(min, weights);
        }

        return taps;
    }

    private static float Triangle(float x)
    {
        if (x < 0f)
        {
            x = -x;
        }

        return x < 1f ? 1f - x : 0f;
    }
}
