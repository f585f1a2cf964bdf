// A search's pictures as ScottPlot PNGs, CS231n style: validation score against each hyperparameter (log axes, coloured by stage), trials over time, and why random search beats a grid.
using ScottPlot;

namespace Functional.Monitoring;

/// <summary>One trial as the search pictures need it (plain values, so this library needs no reference to the search's).</summary>
/// <param name="Number">The trial's number.</param>
/// <param name="Stage">Its stage's name (its colour).</param>
/// <param name="Values">Its numeric hyperparameters by name (categorical ones are left out).</param>
/// <param name="Score">Its score, or null for a failed trial (drawn on the axis as a cross).</param>
/// <param name="Started">When it started, if known.</param>
/// <param name="Finished">When it finished, if known.</param>
public sealed record SearchPlotTrial(long Number, string Stage, IReadOnlyDictionary<string, double> Values, double? Score, DateTimeOffset? Started, DateTimeOffset? Finished);

/// <summary>One point of a score-against-hyperparameter picture.</summary>
/// <param name="Number">The trial's number.</param>
/// <param name="Stage">Its stage (its colour).</param>
/// <param name="X">Where it is drawn across: the value, or its log10 on a log axis.</param>
/// <param name="Y">Its score (a failed trial's: the lowest score drawn).</param>
/// <param name="Failed">Drawn as a cross: the trial failed and has no score.</param>
public sealed record SearchPlotPoint(long Number, string Stage, double X, double Y, bool Failed);

/// <summary>One hyperparameter axis: its name, whether it is drawn on a log scale, and the range searched first.</summary>
public sealed record SearchPlotAxis(string Name, bool Log);

/// <summary>
/// Draws a search: <c>score-{name}.png</c> for each numeric hyperparameter (score against its value, log axis for a log
/// dimension, one colour per stage, failures as crosses at the bottom) and <c>trials-over-time.png</c> (each trial a
/// bar from start to end at the height of its score). Text is ASCII, as in <see cref="RunPlots"/>.
/// </summary>
public static class SearchPlots
{
    private static readonly Color[] StageColors = [Colors.SteelBlue, Colors.DarkOrange, Colors.ForestGreen, Colors.Crimson, Colors.Purple, Colors.Brown];

    /// <summary>Writes the pictures into <paramref name="directory"/> (created) and returns them.</summary>
    public static IReadOnlyList<PlotFile> Write(string directory, string study, IReadOnlyList<SearchPlotTrial> trials, IReadOnlyList<SearchPlotAxis> axes, string scoreName = "validation accuracy")
    {
        Directory.CreateDirectory(directory);
        var stages = trials.Select(t => t.Stage).Distinct().ToArray();
        var files = new List<PlotFile>();
        var scored = trials.Where(t => t.Score is not null).ToArray();
        double floor = scored.Length == 0 ? 0 : scored.Min(t => t.Score!.Value);
        foreach (var axis in axes)
        {
            var plot = new Plot();
            var points = Points(trials, axis);
            for (int s = 0; s < stages.Length; s++)
            {
                var mine = points.Where(p => !p.Failed && p.Stage == stages[s]).ToArray();
                if (mine.Length == 0) continue;
                var dots = plot.Add.ScatterPoints(mine.Select(p => p.X).ToArray(), mine.Select(p => p.Y).ToArray());
                dots.LegendText = stages[s];
                dots.Color = StageColors[s % StageColors.Length];
                dots.MarkerSize = 9;
            }
            var failed = points.Where(p => p.Failed).ToArray();
            if (failed.Length > 0)
            {
                var crosses = plot.Add.ScatterPoints(failed.Select(p => p.X).ToArray(), failed.Select(p => p.Y).ToArray());
                crosses.LegendText = "failed (early kill)";
                crosses.Color = Colors.Gray;
                crosses.MarkerShape = MarkerShape.Eks;
                crosses.MarkerSize = 9;
            }
            if (axis.Log) LogTicks(plot);
            plot.XLabel(axis.Log ? $"{axis.Name} (log scale)" : axis.Name);
            plot.YLabel(scoreName);
            // Outside the data: points may be anywhere.
            plot.ShowLegend(Edge.Right);
            files.Add(Save(plot, directory, $"score-{RunPlots.FileSafe(axis.Name)}.png", $"{study}: {scoreName} against {axis.Name}",
                "Each point is a trial. Look for the band where the best points lie: the next stage should search there. Best points at an edge mean the range should be wider."));
        }
        var timed = trials.Where(t => t.Started is not null && t.Finished is not null).ToArray();
        if (timed.Length > 0)
        {
            var plot = new Plot();
            var start = timed.Min(t => t.Started!.Value);
            for (int s = 0; s < stages.Length; s++)
            {
                bool first = true;
                foreach (var t in timed.Where(t => t.Stage == stages[s]))
                {
                    double y = t.Score ?? floor;
                    var bar = plot.Add.Line((t.Started!.Value - start).TotalSeconds, y, (t.Finished!.Value - start).TotalSeconds, y);
                    bar.Color = StageColors[s % StageColors.Length];
                    bar.LineWidth = 4;
                    if (first) bar.LegendText = stages[s];
                    first = false;
                }
            }
            plot.XLabel("seconds since the first trial started");
            plot.YLabel(scoreName);
            plot.ShowLegend(Edge.Right);
            files.Add(Save(plot, directory, "trials-over-time.png", $"{study}: trials over time",
                "Each bar is a trial from its start to its end at the height of its score; overlapping bars ran on different workers at once."));
        }
        return files;
    }

    /// <summary>
    /// Bergstra &amp; Bengio's figure (2012, fig. 1) from a simulation: 9 trials on a grid and 9 at random in two
    /// dimensions of which only x matters (f(x, y) = g(x)); writes the picture and returns how many distinct values of
    /// x each layout tried (3 for the grid, 9 at random) and the best g each found.
    /// </summary>
    public static (int GridDistinct, int RandomDistinct, double GridBest, double RandomBest) RandomVersusGrid(string file, int seed = 3)
    {
        static double G(double x) => Math.Exp(-Math.Pow((x - 0.62) / 0.08, 2)); // a narrow peak the grid's 3 x-values straddle
        double[] levels = [1.0 / 6, 3.0 / 6, 5.0 / 6];
        var grid = levels.SelectMany(x => levels.Select(y => (x, y))).ToArray();
        var random = new Random(seed);
        var randomPoints = Enumerable.Range(0, 9).Select(_ => (x: random.NextDouble(), y: random.NextDouble())).ToArray();

        var plot = new Plot();
        var xs = Enumerable.Range(0, 201).Select(i => i / 200.0).ToArray();
        // g(x) drawn along the top of the square, scaled into [1.05, 1.35].
        var curve = plot.Add.Scatter(xs, xs.Select(x => 1.05 + 0.3 * G(x)).ToArray());
        curve.MarkerSize = 0;
        curve.LineWidth = 2;
        curve.Color = Colors.Black;
        curve.LegendText = "g(x): the score, which only x affects";
        var gridMarks = plot.Add.ScatterPoints(grid.Select(p => p.x - 0.01).ToArray(), grid.Select(p => p.y).ToArray());
        gridMarks.Color = Colors.Crimson;
        gridMarks.MarkerShape = MarkerShape.FilledSquare;
        gridMarks.MarkerSize = 11;
        gridMarks.LegendText = $"grid: 9 trials, {grid.Select(p => p.x).Distinct().Count()} distinct x";
        var randomMarks = plot.Add.ScatterPoints(randomPoints.Select(p => p.x).ToArray(), randomPoints.Select(p => p.y).ToArray());
        randomMarks.Color = Colors.SteelBlue;
        randomMarks.MarkerSize = 11;
        randomMarks.LegendText = $"random: 9 trials, {randomPoints.Select(p => p.x).Distinct().Count()} distinct x";
        foreach (var p in grid) plot.Add.VerticalLine(p.x - 0.01, 1, Colors.Crimson.WithOpacity(0.15));
        foreach (var p in randomPoints) plot.Add.VerticalLine(p.x, 1, Colors.SteelBlue.WithOpacity(0.25));
        plot.Axes.SetLimits(0, 1, 0, 1.7);
        plot.XLabel("x: important hyperparameter (e.g. learning rate)");
        plot.YLabel("y: unimportant hyperparameter");
        plot.Title("Random beats grid when only some dimensions matter (Bergstra & Bengio 2012)");
        plot.ShowLegend(Alignment.UpperLeft);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        plot.SavePng(file, RunPlots.Width, RunPlots.Height);
        return (grid.Select(p => p.x).Distinct().Count(), randomPoints.Select(p => p.x).Distinct().Count(),
            grid.Max(p => G(p.x)), randomPoints.Max(p => G(p.x)));
    }

    /// <summary>
    /// The points <c>score-{axis}.png</c> draws, one per trial that has a value on <paramref name="axis"/>: x is the value
    /// (its log10 on a log axis), y the score, or for a failed trial the lowest score of the search (drawn as a cross).
    /// </summary>
    public static IReadOnlyList<SearchPlotPoint> Points(IReadOnlyList<SearchPlotTrial> trials, SearchPlotAxis axis)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(axis);
        var scored = trials.Where(t => t.Score is not null).ToArray();
        double floor = scored.Length == 0 ? 0 : scored.Min(t => t.Score!.Value);
        return [.. trials.Where(t => t.Values.ContainsKey(axis.Name)).Select(t => new SearchPlotPoint(t.Number, t.Stage, X(axis, t.Values[axis.Name]), t.Score ?? floor, t.Score is null))];
    }

    private static double X(SearchPlotAxis axis, double value) => axis.Log ? Math.Log10(value) : value;

    private static void LogTicks(Plot plot) =>
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => $"1e{Math.Round(x):0}",
        };

    private static PlotFile Save(Plot plot, string directory, string name, string title, string howToRead)
    {
        plot.Title(title);
        string path = Path.Combine(directory, name);
        plot.SavePng(path, RunPlots.Width, RunPlots.Height);
        return new PlotFile(name, Path.GetFullPath(path), title, howToRead);
    }
}
