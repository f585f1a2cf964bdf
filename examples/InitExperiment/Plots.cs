// Draws the experiment: std and mean per layer for every case, and each case's per-layer histograms.
using ScottPlot;

namespace InitExperiment;

public static class Plots
{
    /// <summary>Writes the PNGs into <paramref name="folder"/> and returns their paths.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<Case> cases, string folder)
    {
        var files = new List<string>();
        double[] layers = Enumerable.Range(1, 10).Select(i => (double)i).ToArray();

        var std = new Plot();
        foreach (var c in cases)
        {
            // log10 so a collapse to 1e-7 and a saturation at 1 fit one axis.
            var line = std.Add.Scatter(layers, c.Layers.Select(l => Math.Log10(Math.Max(l.Std, 1e-12))).ToArray());
            line.LegendText = c.Name;
            line.MarkerSize = 7;
        }
        std.Title("Std of each hidden layer's output (10 layers × 500 units, unit-Gaussian input)");
        std.XLabel("layer");
        std.YLabel("log10(std)");
        std.ShowLegend(Alignment.LowerLeft);
        files.Add(Save(std, folder, "init-std.png"));

        foreach (var c in cases)
        {
            var histograms = new Plot();
            foreach (int index in new[] { 0, 2, 5, 9 })
            {
                var l = c.Layers[index];
                double width = (l.HistogramMax - l.HistogramMin) / l.Histogram.Length;
                var xs = Enumerable.Range(0, l.Histogram.Length).Select(i => l.HistogramMin + (i + 0.5) * width).ToArray();
                var line = histograms.Add.Scatter(xs, l.Histogram.Select(v => (double)v).ToArray());
                line.LegendText = $"{l.Layer}: mean {l.Mean:F3}, std {l.Std:G3}";
                line.MarkerSize = 0;
                line.LineWidth = 2;
            }
            histograms.Title($"Activation histograms, {c.Name}");
            histograms.XLabel("activation value");
            histograms.YLabel("fraction of outputs per bin");
            histograms.ShowLegend(Alignment.UpperRight);
            string name = "init-hist-" + new string(c.Name.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant() + ".png";
            files.Add(Save(histograms, folder, name));
        }
        return files;
    }

    private static string Save(Plot plot, string folder, string name)
    {
        string path = Path.Combine(folder, name);
        plot.SavePng(path, 1000, 600);
        return path;
    }
}
