// The run's pictures as ScottPlot PNGs: loss per step, loss and accuracy per epoch, update/weight ratios per layer, activation histograms.
using ScottPlot;

namespace Functional.Monitoring;

/// <summary>One picture written: its file name (deterministic), full path, title and how to read it.</summary>
public sealed record PlotFile(string Name, string Path, string Title, string HowToRead);

/// <summary>
/// Draws a <see cref="RunRecorder"/>'s run. File names depend only on what was recorded (<c>loss.png</c>,
/// <c>epoch-loss.png</c>, <c>accuracy.png</c>, <c>update-ratio.png</c>, <c>activations-{layer}.png</c>), so a rerun overwrites
/// its own pictures and two runs go in two folders. A picture with nothing to show (no epochs yet, no statistics steps) is
/// left out rather than drawn empty. Text in the pictures is ASCII: a machine without DejaVu's glyphs still renders it.
/// </summary>
public static class RunPlots
{
    /// <summary>
    /// The smoothing of the loss curve: an exponential moving average with this weight on each new step (about 50 steps),
    /// raised for short runs to <see cref="EmaWindows"/>/steps so the average does not lag the whole curve.
    /// </summary>
    public const double EmaAlpha = 0.02;

    /// <summary>A short run's average spans about 1/this of its steps.</summary>
    public const double EmaWindows = 10;

    /// <summary>The lecture's rule of thumb for ‖ΔW‖/‖W‖.</summary>
    public const double HealthyUpdateRatio = 1e-3;

    /// <summary>Every picture's size in pixels: wide enough for a loss curve over many epochs, and readable on a laptop screen.</summary>
    public const int Width = 1000, Height = 560;

    /// <summary>Writes every picture the record allows into <paramref name="directory"/> (created) and returns them in report order.</summary>
    public static IReadOnlyList<PlotFile> Write(string directory, RunRecorder recorder, RunConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(configuration);
        Directory.CreateDirectory(directory);
        string run = configuration.Variant is null ? configuration.Network : $"{configuration.Network} ({configuration.Variant})";
        var files = new List<PlotFile>();
        if (recorder.Steps.Count > 0) files.Add(Loss(directory, recorder, run));
        if (recorder.Epochs.Count > 0)
        {
            files.Add(EpochLoss(directory, recorder, run));
            files.Add(Accuracy(directory, recorder, run));
        }
        if (recorder.LayerSamples.Count > 0) files.Add(UpdateRatios(directory, recorder, run));
        files.AddRange(Activations(directory, recorder, run));
        return files;
    }

    /// <summary>
    /// Exponential moving average, bias-corrected as TensorBoard and Adam do (divided by 1 − (1 − α)^t), so the first
    /// steps are not pulled towards zero.
    /// </summary>
    public static double[] Ema(IReadOnlyList<double> values, double alpha = EmaAlpha)
    {
        var smoothed = new double[values.Count];
        double average = 0, weight = 0;
        for (int i = 0; i < values.Count; i++)
        {
            average = (1 - alpha) * average + alpha * values[i];
            weight = (1 - alpha) * weight + alpha;
            smoothed[i] = average / weight;
        }
        return smoothed;
    }

    private static PlotFile Loss(string directory, RunRecorder recorder, string run)
    {
        var plot = new Plot();
        double[] steps = recorder.Steps.Select(s => (double)s.Step).ToArray();
        double[] loss = recorder.Steps.Select(s => (double)s.Loss).ToArray();
        var raw = plot.Add.ScatterLine(steps, loss);
        raw.LegendText = "loss per step (batch mean, with L2)";
        raw.Color = Colors.SteelBlue.WithOpacity(0.35);
        raw.LineWidth = 1;
        double alpha = Math.Round(Math.Max(EmaAlpha, EmaWindows / steps.Length), 3);
        var ema = plot.Add.ScatterLine(steps, Ema(loss, alpha));
        ema.LegendText = $"EMA, alpha = {alpha} (~{1 / alpha:F0} steps), bias-corrected";
        ema.Color = Colors.Navy;
        ema.LineWidth = 2.5f;
        if (recorder.Steps.Any(s => s.Penalty != 0))
        {
            var data = plot.Add.ScatterLine(steps, Ema(recorder.Steps.Select(s => (double)s.DataLoss).ToArray(), alpha));
            data.LegendText = "EMA of the data loss (without L2)";
            data.Color = Colors.DarkOrange;
            data.LineWidth = 2;
        }
        EpochMarks(plot, recorder);
        plot.Title($"Training loss per step - {run}");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, directory, "loss.png", "Training loss per step",
            "The faint line is each batch's loss, the dark one its moving average. It should fall fast at first, then slowly; a curve that " +
            "stays flat means the learning rate is too low (or the initialisation is dead), one that explodes or goes up means it is too high, " +
            "and a loss that falls and then plateaus early often means a learning rate that is too high. Dashed lines mark the end of each epoch.");
    }

    private static PlotFile EpochLoss(string directory, RunRecorder recorder, string run)
    {
        var plot = new Plot();
        double[] epochs = recorder.Epochs.Select(e => (double)e.Epoch).ToArray();
        Line(plot, epochs, recorder.Epochs.Select(e => e.TrainLoss), "train loss (with L2, mean over the epoch)", Colors.Navy);
        if (recorder.Epochs.Any(e => e.TrainPenalty != 0))
            Line(plot, epochs, recorder.Epochs.Select(e => e.TrainDataLoss), "train data loss (without L2)", Colors.SteelBlue);
        Line(plot, epochs, recorder.Epochs.Select(e => e.ValidationLoss), "validation loss (end of epoch)", Colors.DarkOrange);
        EpochTicks(plot);
        plot.Title($"Loss per epoch - {run}");
        plot.XLabel("epoch");
        plot.YLabel("loss (cross-entropy)");
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, directory, "epoch-loss.png", "Loss per epoch",
            "Training loss with and without the L2 penalty, and the validation loss. Validation loss that turns upward while training loss " +
            "keeps falling is overfitting: stop earlier, or regularise more (L2, dropout). A large penalty share means L2 dominates the objective.");
    }

    private static PlotFile Accuracy(string directory, RunRecorder recorder, string run)
    {
        var plot = new Plot();
        double[] epochs = recorder.Epochs.Select(e => (double)e.Epoch).ToArray();
        Line(plot, epochs, recorder.Epochs.Select(e => 100 * e.TrainAccuracy), "train (mean over the epoch's batches)", Colors.Navy);
        Line(plot, epochs, recorder.Epochs.Select(e => 100 * e.ValidationAccuracy), "validation (end of epoch)", Colors.DarkOrange);
        EpochTicks(plot);
        plot.Title($"Accuracy per epoch - {run}");
        plot.XLabel("epoch");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        return Save(plot, directory, "accuracy.png", "Train and validation accuracy",
            "The gap between the two lines is the overfitting: a big gap that keeps growing means the network memorises the training set " +
            "(more regularisation or data, a smaller network); no gap at low accuracy means it underfits (a bigger network, longer training). " +
            "Train accuracy is averaged over the epoch while the weights still change (and with dropout on), so early on it can sit below validation.");
    }

    private static PlotFile UpdateRatios(string directory, RunRecorder recorder, string run)
    {
        var plot = new Plot();
        for (int layer = 0; layer < recorder.LayerNames.Count; layer++)
        {
            var points = recorder.LayerSamples.Where(s => s.Layer == layer && double.IsFinite(s.UpdateRatio) && s.UpdateRatio > 0).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(s => (double)s.Step).ToArray(), points.Select(s => Math.Log10(s.UpdateRatio)).ToArray());
            line.LegendText = recorder.LayerNames[layer];
            line.MarkerSize = 4;
            line.LineWidth = 1.5f;
        }
        var guide = plot.Add.HorizontalLine(Math.Log10(HealthyUpdateRatio));
        guide.LinePattern = LinePattern.Dashed;
        guide.Color = Colors.Gray;
        guide.LineWidth = 2;
        guide.LegendText = "1e-3 (rule of thumb)";
        EpochMarks(plot, recorder);
        LogTicks(plot);
        plot.Title($"Update/weight ratio |dW|/|W| per layer - {run}");
        plot.XLabel("step");
        plot.YLabel("|dW| / |W| (log scale)");
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, directory, "update-ratio.png", "Update/weight ratio per layer",
            "How much each step changes a layer's weights, relative to their size, at every statistics step. About 1e-3 (the dashed line) is " +
            "healthy; a layer far below (1e-5) learns too slowly (raise the learning rate), far above (1e-1) is being thrashed (lower it). " +
            "The ratio usually falls as a learning-rate schedule decays.");
    }

    private static IEnumerable<PlotFile> Activations(string directory, RunRecorder recorder, string run)
    {
        var names = recorder.Activations.SelectMany(a => a.Layers.Select(l => l.Layer)).Distinct().ToArray();
        foreach (var name in names)
        {
            var plot = new Plot();
            foreach (var snapshot in recorder.Activations)
            {
                if (snapshot.Layers.FirstOrDefault(l => l.Layer == name) is not { } l) continue;
                double width = (l.HistogramMax - l.HistogramMin) / l.Histogram.Length;
                if (!(width > 0)) width = 1;
                // Bins span each snapshot's own [min, max], so fractions are divided by the bin width: densities compare across epochs.
                var xs = Enumerable.Range(0, l.Histogram.Length).Select(i => l.HistogramMin + (i + 0.5) * width).ToArray();
                var line = plot.Add.ScatterLine(xs, l.Histogram.Select(v => v / width).ToArray());
                line.LegendText = $"{(snapshot.Epoch == 0 ? "before training" : $"after epoch {snapshot.Epoch}")}: mean {l.Mean:F3}, std {l.Std:F3}, |y|<1e-3 {l.Zero:P0}";
                line.LineWidth = 2;
            }
            int index = recorder.LayerNames.ToList().IndexOf(name);
            string activation = index >= 0 && index < recorder.LayerActivations.Count ? $", {recorder.LayerActivations[index]}" : "";
            plot.Title($"Activations of {name}{activation} - {run}");
            plot.XLabel("output value");
            plot.YLabel("density (fraction per unit)");
            plot.ShowLegend(Alignment.UpperRight);
            yield return Save(plot, directory, $"activations-{FileSafe(name)}.png", $"Activations of {name}",
                "The distribution of this layer's outputs on a fixed sample, at the chosen epochs. A healthy layer keeps a spread of values; " +
                "a spike at 0 (ReLU) means dead units, mass piled at +-1 (tanh) or 0 and 1 (sigmoid) means saturation, where gradients vanish; " +
                "a distribution that collapses towards 0 layer after layer means the initialisation is too small.");
        }
    }

    private static void Line(Plot plot, double[] xs, IEnumerable<double> ys, string legend, Color color)
    {
        var line = plot.Add.Scatter(xs, ys.ToArray());
        line.LegendText = legend;
        line.Color = color;
        line.MarkerSize = 7;
        line.LineWidth = 2;
    }

    private static void EpochMarks(Plot plot, RunRecorder recorder)
    {
        bool first = true;
        foreach (var e in recorder.Epochs)
        {
            if (e.LastStep < 0) continue;
            var mark = plot.Add.VerticalLine(e.LastStep + 0.5);
            mark.LinePattern = LinePattern.Dashed;
            mark.Color = Colors.Gray.WithOpacity(0.6);
            mark.LineWidth = 1;
            if (first) mark.LegendText = "end of an epoch";
            first = false;
        }
    }

    // Epochs are whole numbers: no 1.5 on the axis.
    private static void EpochTicks(Plot plot) =>
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    // Data are plotted as log10; ticks at whole powers of ten, labelled as such, with log-spaced minor ticks between.
    private static void LogTicks(Plot plot)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"1e{Math.Round(y):0}",
        };
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
        plot.Grid.MinorLineWidth = 1;
    }

    private static PlotFile Save(Plot plot, string directory, string name, string title, string howToRead)
    {
        string path = System.IO.Path.Combine(directory, name);
        plot.SavePng(path, Width, Height);
        return new PlotFile(name, System.IO.Path.GetFullPath(path), title, howToRead);
    }

    /// <summary>A layer name as a file name: letters and digits lower-cased, anything else a hyphen.</summary>
    public static string FileSafe(string name) =>
        new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
}
