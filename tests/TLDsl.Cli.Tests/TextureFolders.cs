using System;
using System.IO;

namespace TLDsl.Cli.Tests;

/// <summary>
/// Procedural texture photographs for small-data tests: three classes (grass, gravel, brick), each image drawn from a
/// seeded random generator with its own scale, colour, lighting and noise, so the folder is the same on every machine
/// and needs nothing downloaded. An easy task for ImageNet features, as the crops of issue #17 were.
/// </summary>
internal static class TextureFolders
{
    public static readonly string[] Classes = ["brick", "grass", "gravel"];

    /// <summary>Writes <paramref name="perClass"/> RGB PNGs of <paramref name="side"/> pixels into
    /// <c>folder/&lt;class&gt;/</c>; the same (seed, perClass, side) writes the same bytes.</summary>
    public static void Write(string folder, int perClass, int seed, int side = 96)
    {
        for (int c = 0; c < Classes.Length; c++)
        {
            string dir = Path.Combine(folder, Classes[c]);
            Directory.CreateDirectory(dir);
            for (int i = 0; i < perClass; i++)
            {
                var random = new Random((seed * 7919) + (c * 104_729) + i);
                var pixels = Classes[c] switch
                {
                    "brick" => Brick(random, side),
                    "grass" => Grass(random, side),
                    "gravel" => Gravel(random, side),
                    _ => throw new ArgumentOutOfRangeException(nameof(folder), Classes[c], "unknown texture class"),
                };
                Finish(random, pixels, side);
                TestFiles.WritePng(Path.Combine(dir, $"{Classes[c]}_{i:D3}.png"), ToBytes(pixels), side, side, 3);
            }
        }
    }

    private static float[] Canvas(int side, float r, float g, float b)
    {
        var p = new float[side * side * 3];
        for (int i = 0; i < side * side; i++)
        {
            p[(i * 3) + 0] = r;
            p[(i * 3) + 1] = g;
            p[(i * 3) + 2] = b;
        }
        return p;
    }

    private static void Blend(float[] p, int side, int x, int y, float r, float g, float b, float alpha)
    {
        if (x < 0 || y < 0 || x >= side || y >= side)
        {
            return;
        }
        int k = ((y * side) + x) * 3;
        p[k] += alpha * (r - p[k]);
        p[k + 1] += alpha * (g - p[k + 1]);
        p[k + 2] += alpha * (b - p[k + 2]);
    }

    private static float Jitter(Random random, float value, float amount) => value + (((float)random.NextDouble() * 2) - 1) * amount;

    /// <summary>Rows of bricks with offset joints and light mortar, each brick its own shade.</summary>
    private static float[] Brick(Random random, int side)
    {
        float mr = Jitter(random, 0.78f, 0.06f), mg = Jitter(random, 0.75f, 0.06f), mb = Jitter(random, 0.70f, 0.06f);
        var p = Canvas(side, mr, mg, mb);
        int height = random.Next(side / 8, side / 4);
        int width = height * random.Next(2, 4);
        int mortar = Math.Max(1, height / 6);
        float baseR = Jitter(random, 0.62f, 0.08f), baseG = Jitter(random, 0.25f, 0.06f), baseB = Jitter(random, 0.18f, 0.05f);
        int shiftY = random.Next(height);
        for (int row = -1; row * height < side + height; row++)
        {
            int y0 = (row * height) - shiftY;
            int offset = (row & 1) * (width / 2) + random.Next(width / 4);
            for (int x0 = -width + offset; x0 < side; x0 += width)
            {
                float r = Jitter(random, baseR, 0.07f), g = Jitter(random, baseG, 0.04f), b = Jitter(random, baseB, 0.03f);
                for (int y = y0 + mortar; y < y0 + height; y++)
                {
                    for (int x = x0 + mortar; x < x0 + width; x++)
                    {
                        Blend(p, side, x, y, Jitter(random, r, 0.04f), Jitter(random, g, 0.03f), Jitter(random, b, 0.03f), 1);
                    }
                }
            }
        }
        return p;
    }

    /// <summary>Dense thin blades, mostly upright, in light and dark greens over dark soil.</summary>
    private static float[] Grass(Random random, int side)
    {
        var p = Canvas(side, Jitter(random, 0.16f, 0.04f), Jitter(random, 0.24f, 0.05f), Jitter(random, 0.08f, 0.03f));
        float hueR = Jitter(random, 0.25f, 0.08f), hueG = Jitter(random, 0.55f, 0.1f), hueB = Jitter(random, 0.15f, 0.05f);
        double lean = Jitter(random, 0, 0.4f);
        int blades = side * side / random.Next(6, 12);
        for (int n = 0; n < blades; n++)
        {
            double x = random.NextDouble() * side, y = random.NextDouble() * side;
            double angle = (Math.PI / 2) + lean + Jitter(random, 0, 0.35f);
            int length = random.Next(side / 10, side / 4);
            float shade = Jitter(random, 1, 0.35f);
            for (int t = 0; t < length; t++)
            {
                Blend(p, side, (int)(x + (Math.Cos(angle) * t)), (int)(y - (Math.Sin(angle) * t)), hueR * shade, hueG * shade, hueB * shade, 0.8f);
            }
        }
        return p;
    }

    /// <summary>Packed round stones in greys and browns, shaded from one side, over darker grit.</summary>
    private static float[] Gravel(Random random, int side)
    {
        var p = Canvas(side, Jitter(random, 0.3f, 0.05f), Jitter(random, 0.28f, 0.05f), Jitter(random, 0.26f, 0.05f));
        int stones = side * side / random.Next(40, 90);
        float light = Jitter(random, 0, 1);
        for (int n = 0; n < stones; n++)
        {
            double cx = random.NextDouble() * side, cy = random.NextDouble() * side;
            double rx = random.Next(2, Math.Max(3, side / 12)), ry = rx * Jitter(random, 0.8f, 0.25f);
            float grey = Jitter(random, 0.55f, 0.2f);
            float r = grey + Jitter(random, 0.04f, 0.04f), g = grey, b = grey - Jitter(random, 0.04f, 0.04f);
            for (int y = (int)(cy - ry); y <= cy + ry; y++)
            {
                for (int x = (int)(cx - rx); x <= cx + rx; x++)
                {
                    double dx = (x - cx) / rx, dy = (y - cy) / ry, d = (dx * dx) + (dy * dy);
                    if (d <= 1)
                    {
                        float shade = (float)(1 - (0.35 * d) + (0.2 * light * dx));
                        Blend(p, side, x, y, r * shade, g * shade, b * shade, 1);
                    }
                }
            }
        }
        return p;
    }

    /// <summary>Per-image exposure and sensor noise.</summary>
    private static void Finish(Random random, float[] p, int side)
    {
        float exposure = Jitter(random, 1, 0.2f);
        for (int i = 0; i < side * side * 3; i++)
        {
            p[i] = (p[i] * exposure) + Jitter(random, 0, 0.05f);
        }
    }

    private static byte[] ToBytes(float[] p)
    {
        var bytes = new byte[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp((int)MathF.Round(p[i] * 255), 0, 255);
        }
        return bytes;
    }
}
