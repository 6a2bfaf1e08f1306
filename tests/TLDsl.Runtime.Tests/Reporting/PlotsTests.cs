using System;
using System.IO;
using System.Linq;
using StbImageSharp;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Runtime.Tests.Reporting;

public sealed class PlotsTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-plots-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Decode(string path, int width, int height)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > PngSignature.Length);
        Assert.Equal(PngSignature, bytes.Take(8));
        var image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
        // Something was drawn: far from a single colour.
        Assert.True(image.Data.Distinct().Count() > 20);
        Assert.Equal(new[] { Path.GetFileName(path) }, Directory.GetFiles(_dir).Select(Path.GetFileName).Where(n => n == Path.GetFileName(path) || n!.EndsWith(".tmp", StringComparison.Ordinal)));
    }

    [Fact]
    public void Training_curves_png()
    {
        var records = Enumerable.Range(1, 6).Select(e => new EpochRecord(e, e <= 3 ? "head" : "layer4", e * 100L, 1e-3,
            1.0 / e, 0.5 + e * 0.05, e == 2 ? null : 1.1 / e, e == 2 ? null : 0.45 + e * 0.05, 0.9, 0.5, 3, null)).ToArray();
        string path = Path.Combine(_dir, "training.png");
        Plots.TrainingCurves(records, path);
        Decode(path, 1200, 500);
    }

    [Fact]
    public void Training_curves_png_with_one_or_no_epoch()
    {
        string path = Path.Combine(_dir, "one.png");
        Plots.TrainingCurves([new EpochRecord(1, "head", 10, 0.1, double.NaN, 0.5, null, null, null, null, 1, null)], path);
        Decode(path, 1200, 500);
        Plots.TrainingCurves([], path);
        Decode(path, 1200, 500);
    }

    [Fact]
    public void Confusion_matrix_png()
    {
        string[] labels = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"];
        var matrix = new int[10, 10];
        for (int t = 0; t < 10; t++)
        {
            for (int p = 0; p < 10; p++)
            {
                matrix[t, p] = t == p ? 80 + t : (t * 7 + p * 3) % 5;
            }
        }
        string path = Path.Combine(_dir, "confusion.png");
        Plots.ConfusionMatrix(matrix, labels, path);
        Decode(path, 900, 800);
        Assert.Throws<ArgumentException>(() => Plots.ConfusionMatrix(new int[2, 3], ["a", "b"], path));
    }

    [Fact]
    public void Learning_rate_finder_png()
    {
        var rates = Enumerable.Range(0, 100).Select(i => Math.Pow(10, -7 + i * 0.07)).ToArray();
        var losses = rates.Select(r => 2.3 - Math.Exp(-Math.Pow(Math.Log10(r) + 2.5, 2)) + (r > 0.3 ? double.PositiveInfinity : 0)).ToArray();
        string path = Path.Combine(_dir, "lr_find.png");
        Plots.LearningRateFinder(rates, losses, 3e-3, path);
        Decode(path, 900, 550);
        Plots.LearningRateFinder([], [], null, path);
        Decode(path, 900, 550);
        Assert.Throws<ArgumentException>(() => Plots.LearningRateFinder([1e-3], [], null, path));
    }
}
