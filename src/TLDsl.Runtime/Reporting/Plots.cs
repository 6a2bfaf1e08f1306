using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Reporting;

/// <summary>PNG plots of a run, drawn with ScottPlot: training curves, confusion matrix, learning-rate finder.
/// Every plot is written atomically (temporary file, then rename).</summary>
public static class Plots
{
    private const int Width = 1200;
    private const int Height = 500;

    /// <summary>Two panels side by side: loss (train and valid) and accuracy (train and valid) against the epoch, with a
    /// dashed vertical line where each phase after the first begins, labelled with the phase name above the panel.</summary>
    /// <param name="records">The rows of <c>metrics.csv</c>, in epoch order.</param>
    /// <param name="pngPath">Where to write the PNG.</param>
    public static void TrainingCurves(IReadOnlyList<EpochRecord> records, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentException.ThrowIfNullOrEmpty(pngPath);
        var loss = new Plot();
        var accuracy = new Plot();
        double[] epochs = records.Select(r => (double)r.Epoch).ToArray();
        AddSeries(loss, epochs, records.Select(r => (double?)r.TrainLoss), "train loss", Colors.Blue);
        AddSeries(loss, epochs, records.Select(r => r.ValidLoss), "valid loss", Colors.OrangeRed);
        AddSeries(accuracy, epochs, records.Select(r => (double?)r.TrainAccuracy), "train accuracy", Colors.Blue);
        AddSeries(accuracy, epochs, records.Select(r => r.ValidAccuracy), "valid accuracy", Colors.OrangeRed);
        loss.ShowLegend(Alignment.UpperRight);
        accuracy.ShowLegend(Alignment.LowerRight);
        loss.XLabel("epoch");
        loss.YLabel("loss");
        accuracy.XLabel("epoch");
        accuracy.YLabel("accuracy");
        foreach (var plot in new[] { loss, accuracy })
        {
            for (int i = 1; i < records.Count; i++)
            {
                if (records[i].Phase != records[i - 1].Phase)
                {
                    var line = plot.Add.VerticalLine(records[i].Epoch - 0.5);
                    line.LinePattern = LinePattern.Dashed;
                    line.Color = Colors.Gray;
                    line.LabelText = records[i].Phase;
                    line.LabelOppositeAxis = true;
                }
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            if (records.Count == 0)
            {
                plot.Axes.SetLimits(0, 1, 0, 1);
            }
        }
        Save(pngPath, Width, Height, loss, accuracy);
    }

    /// <summary>A heatmap of the confusion matrix with the count written in every cell; rows are the true classes
    /// (top to bottom in label order), columns the predicted ones (left to right).</summary>
    /// <param name="matrix">Counts indexed <c>[target, predicted]</c>, square, one row per label.</param>
    /// <param name="labels">The class labels.</param>
    /// <param name="pngPath">Where to write the PNG.</param>
    public static void ConfusionMatrix(int[,] matrix, IReadOnlyList<string> labels, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentException.ThrowIfNullOrEmpty(pngPath);
        int n = labels.Count;
        if (n == 0 || matrix.GetLength(0) != n || matrix.GetLength(1) != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the matrix is {matrix.GetLength(0)}x{matrix.GetLength(1)} but there are {n} labels."), nameof(matrix));
        }
        var plot = new Plot();
        // Cell (target t, predicted p) is drawn centred at x = p, y = n - 1 - t, so the first label is the top row.
        var values = new double[n, n];
        int max = 0;
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                values[t, p] = matrix[t, p];
                max = Math.Max(max, matrix[t, p]);
            }
        }
        var heatmap = plot.Add.Heatmap(values);
        // ScottPlot's Blues runs dark to light; reversed, larger counts are darker (as in scikit-learn's plots).
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
        // The extent names the centres of the corner cells.
        heatmap.Extent = new CoordinateRect(0, n - 1, 0, n - 1);
        int size = Math.Clamp(900 / n, 10, 40);
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                var text = plot.Add.Text(matrix[t, p].ToString(CultureInfo.InvariantCulture), p, n - 1 - t);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = Math.Min(size * 0.45f, 18);
                text.LabelFontColor = max > 0 && matrix[t, p] > max * 0.55 ? Colors.White : Colors.Black;
            }
        }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels.ToArray());
        plot.Axes.Left.SetTicks(positions, labels.Reverse().ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = n > 6 ? 45 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = n > 6 ? Alignment.MiddleLeft : Alignment.UpperCenter;
        plot.Axes.Bottom.MinimumSize = n > 6 ? 90 : 40;
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Add.ColorBar(heatmap);
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title("Confusion matrix");
        plot.HideGrid();
        Save(pngPath, 900, 800, plot);
    }

    /// <summary>The loss of a learning-rate sweep against the learning rate on a logarithmic axis, with the suggested
    /// rate marked.</summary>
    /// <param name="learningRates">The swept rates (positive), in sweep order.</param>
    /// <param name="losses">The (smoothed) loss at each rate; non-finite values are left out.</param>
    /// <param name="suggested">The suggested rate, marked with a vertical line, if any.</param>
    /// <param name="pngPath">Where to write the PNG.</param>
    public static void LearningRateFinder(IReadOnlyList<double> learningRates, IReadOnlyList<double> losses,
        double? suggested, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(learningRates);
        ArgumentNullException.ThrowIfNull(losses);
        ArgumentException.ThrowIfNullOrEmpty(pngPath);
        if (learningRates.Count != losses.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{learningRates.Count} learning rates but {losses.Count} losses."), nameof(losses));
        }
        var plot = new Plot();
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < learningRates.Count; i++)
        {
            if (learningRates[i] > 0 && double.IsFinite(learningRates[i]) && double.IsFinite(losses[i]))
            {
                xs.Add(Math.Log10(learningRates[i]));
                ys.Add(losses[i]);
            }
        }
        var curve = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        curve.MarkerSize = 0;
        curve.LineWidth = 2;
        curve.LegendText = "loss";
        if (suggested is > 0 and var s && double.IsFinite(s))
        {
            var line = plot.Add.VerticalLine(Math.Log10(s));
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.OrangeRed;
            line.LabelText = "suggested " + s.ToString("0.###e+0", CultureInfo.InvariantCulture);
            line.LabelOppositeAxis = true;
        }
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = x => Math.Pow(10, x).ToString("0.##########e+0", CultureInfo.InvariantCulture),
        };
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("loss");
        plot.Title("Learning-rate finder");
        plot.ShowLegend(Alignment.UpperLeft);
        if (xs.Count == 0)
        {
            plot.Axes.SetLimits(-6, 0, 0, 1);
        }
        Save(pngPath, 900, 550, plot);
    }

    private static void AddSeries(Plot plot, double[] epochs, IEnumerable<double?> values, string name, Color color)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        int i = 0;
        foreach (var v in values)
        {
            if (v is { } d && double.IsFinite(d))
            {
                xs.Add(epochs[i]);
                ys.Add(d);
            }
            i++;
        }
        if (xs.Count == 0)
        {
            return;
        }
        var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        scatter.LegendText = name;
        scatter.Color = color;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
    }

    private static void Save(string pngPath, int width, int height, params Plot[] panels)
    {
        byte[] png;
        if (panels.Length == 1)
        {
            png = panels[0].GetImageBytes(width, height, ImageFormat.Png);
        }
        else
        {
            var multiplot = new Multiplot(panels[0]);
            foreach (var panel in panels.Skip(1))
            {
                multiplot.AddPlot(panel);
            }
            multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
            using var image = multiplot.Render(width, height);
            png = image.GetImageBytes(ImageFormat.Png);
        }
        AtomicFile.WriteAllBytes(pngPath, png);
    }
}
