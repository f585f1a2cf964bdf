// The figures of docs/preprocessing.md, drawn with ScottPlot: the mean image and first principal components, and images before and after whitening.
using Functional.Data;
using ScottPlot;

namespace PreprocessingExample;

internal static class Figures
{
    private const int Side = 28, Gap = 4;

    /// <summary>
    /// The mean image, then the first <paramref name="count"/> principal components as 28×28 tiles, row-major, each
    /// labelled with its share of the variance. A component's sign is arbitrary, so each tile maps 0 to mid-grey and
    /// ±max|u| to white/black.
    /// </summary>
    public static void Components(string path, Pca pca, int count, int columns)
    {
        var tiles = new List<float[]> { Stretch(pca.Mean.ToArray()) };
        for (int c = 0; c < count; c++) tiles.Add(Symmetric(pca.Components.Slice(c * pca.InputCount, pca.InputCount).ToArray()));
        var labels = new List<string> { "mean" };
        for (int c = 0; c < count; c++) labels.Add($"PC {c + 1}: {pca.ExplainedVarianceRatio[c]:P1}");

        // Room under each tile for its label.
        var (plot, heatmap) = Grid(tiles, columns, rowGap: 12);
        for (int t = 0; t < tiles.Count; t++)
        {
            var (x, y) = TileCorner(t, columns, rowGap: 12);
            var text = plot.Add.Text(labels[t], x + Side / 2.0, y - Side - 1);
            text.LabelFontSize = 13;
            text.LabelAlignment = Alignment.UpperCenter;
        }
        plot.Title("Fashion-MNIST: mean training image, then the first principal components (share of the variance)");
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left, plot.Axes.Top, plot.Axes.Right }) Hide(axis);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "component weight (mean: darkest to brightest pixel)";
        bar.Axis.TickGenerator = Manual([(0, "−max|u|"), (0.5, "0"), (1, "+max|u|")]);
        Save(plot, path, 1400, 600);
    }

    /// <summary>One row per version of the same images (e.g. original, whitened with two ε), each tile stretched to its own range.</summary>
    public static void Rows(string path, IReadOnlyList<(string Name, Dataset Images)> versions, IReadOnlyList<int> rows)
    {
        var tiles = versions.SelectMany(v => rows.Select(r => Stretch(v.Images.Row(r).ToArray()))).ToList();
        var (plot, heatmap) = Grid(tiles, rows.Count, rowGap: Gap);
        plot.Title("One test image per class: original, PCA reconstruction and ZCA whitening");
        plot.Axes.Bottom.TickGenerator = Manual(rows.Select((r, c) => (TileCorner(c, rows.Count, Gap).X + Side / 2.0, FashionMnist.ClassNames[versions[0].Images.Labels[r]])));
        plot.Axes.Left.TickGenerator = Manual(versions.Select((v, i) => (TileCorner(i * rows.Count, rows.Count, Gap).Y - Side / 2.0, v.Name)));
        plot.XLabel("class (label 0–9)");
        plot.YLabel("version of the image");
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "each tile stretched: its darkest to its brightest pixel";
        bar.Axis.TickGenerator = Manual([(0, "min"), (1, "max")]);
        Save(plot, path, 1400, 700);
    }

    private static float[] Stretch(float[] x)
    {
        float lo = x.Min(), hi = x.Max();
        return [.. x.Select(v => hi > lo ? (v - lo) / (hi - lo) : 0.5f)];
    }

    private static float[] Symmetric(float[] x)
    {
        float m = x.Max(Math.Abs);
        return [.. x.Select(v => m > 0 ? 0.5f + 0.5f * v / m : 0.5f)];
    }

    /// <summary>Top-left corner of tile <paramref name="t"/> in plot units (one unit a pixel of the 28×28 images; y grows upwards).</summary>
    private static (double X, double Y) TileCorner(int t, int columns, int rowGap) =>
        (Gap + t % columns * (Side + Gap), -(Gap + t / columns * (Side + rowGap)));

    /// <summary>Tiles of 28×28 values in [0, 1] as one grey heatmap (light garments on black, as Fashion-MNIST draws them), white between tiles.</summary>
    private static (Plot, ScottPlot.Plottables.Heatmap) Grid(IReadOnlyList<float[]> tiles, int columns, int rowGap)
    {
        int rows = (tiles.Count + columns - 1) / columns;
        int width = columns * (Side + Gap) + Gap, height = rows * (Side + rowGap) + Gap;
        var values = new double[height, width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) values[y, x] = double.NaN;
        for (int t = 0; t < tiles.Count; t++)
        {
            var (x0, y0) = TileCorner(t, columns, rowGap);
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++) values[(int)-y0 + y, (int)x0 + x] = tiles[t][y * Side + x];
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.NaNCellColor = Colors.White;
        heatmap.Position = new CoordinateRect(0, width, -height, 0);
        plot.HideGrid();
        plot.Axes.SquareUnits();
        return (plot, heatmap);
    }

    private static ScottPlot.TickGenerators.NumericManual Manual(IEnumerable<(double Position, string Label)> ticks)
    {
        var manual = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (position, label) in ticks) manual.AddMajor(position, label);
        return manual;
    }

    private static void Hide(IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        axis.FrameLineStyle.Width = 0;
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, width, height);
    }
}
