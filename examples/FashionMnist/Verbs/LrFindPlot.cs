// Draws a range test: raw and smoothed loss against log10 of the learning rate, the too-low and too-high regions, the steepest point, the minimum and the suggested range.
using Functional.Training;
using ScottPlot;

namespace FashionExample;

internal static class LrFindPlot
{
    public static void Save(LrFinderReport r, FileInfo file, string title)
    {
        // ScottPlot 5 has no log axis: plot log10(lr) and label the ticks with the learning rate itself.
        double[] x = r.Points.Select(p => Math.Log10(p.LearningRate)).ToArray();
        var plot = new Plot();

        var tooLow = plot.Add.HorizontalSpan(Math.Log10(r.TooLow.From), Math.Log10(r.TooLow.To), Colors.Gray.WithAlpha(0.25));
        tooLow.LegendText = $"too low: {r.TooLow}";
        var suggested = plot.Add.HorizontalSpan(Math.Log10(r.Suggested.From), Math.Log10(r.Suggested.To), Colors.Green.WithAlpha(0.2));
        suggested.LegendText = $"suggested: {r.Suggested}";
        if (r.TooHigh is { } high)
        {
            var tooHigh = plot.Add.HorizontalSpan(Math.Log10(high.From), Math.Log10(high.To), Colors.Red.WithAlpha(0.2));
            tooHigh.LegendText = $"too high: {high}";
        }

        var raw = plot.Add.Scatter(x, r.Points.Select(p => p.Loss).ToArray());
        raw.LegendText = "batch loss";
        raw.MarkerSize = 3;
        raw.LineWidth = 0;
        raw.Color = Colors.SteelBlue.WithAlpha(0.5);
        var smooth = plot.Add.Scatter(x, r.Points.Select(p => p.Smoothed).ToArray());
        smooth.LegendText = "smoothed (EMA, bias-corrected)";
        smooth.MarkerSize = 0;
        smooth.LineWidth = 2.5f;
        smooth.Color = Colors.Navy;

        var steep = plot.Add.VerticalLine(Math.Log10(r.Steepest), 1.5f, Colors.DarkOrange, LinePattern.Dashed);
        steep.LegendText = $"steepest descent: {r.Steepest:G3}";
        var least = plot.Add.VerticalLine(Math.Log10(r.AtMinimum), 1.5f, Colors.Purple, LinePattern.Dotted);
        least.LegendText = $"minimum: {r.AtMinimum:G3}";

        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = v => Math.Pow(10, v).ToString("G1", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Axes.Bottom.TickGenerator = ticks;
        // Exploding batch losses would flatten the interesting part: show up to 1.5× the start.
        plot.Axes.SetLimits(x[0] - 0.1, x[^1] + 0.1, 0, 1.5 * Math.Max(r.StartLoss, r.Points.Max(p => p.Smoothed) / 2));
        plot.Title(title);
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("training loss");
        plot.ShowLegend(Alignment.LowerLeft);
        file.Directory?.Create();
        plot.SavePng(file.FullName, 1100, 650);
    }
}
