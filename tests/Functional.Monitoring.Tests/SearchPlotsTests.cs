// The search's pictures: real PNGs of the stated size, one point per finished trial on each hyperparameter's axis (log10 for a log one, failures as crosses at the lowest score), each stage in its own colour, and the trials-over-time bars.
using SkiaSharp;

namespace Functional.Monitoring.Tests;

public sealed class SearchPlotsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);

    private static SearchPlotTrial Trial(long number, string stage, double lr, double l2, double? score, int startSeconds) =>
        new(number, stage, new Dictionary<string, double> { ["lr"] = lr, ["l2"] = l2 }, score, T0.AddSeconds(startSeconds), T0.AddSeconds(startSeconds + 3));

    private static readonly SearchPlotTrial[] Trials =
    [
        Trial(0, "coarse", 1e-3, 1e-5, 0.80, 0), Trial(1, "coarse", 1e-2, 1e-4, 0.85, 0), Trial(2, "coarse", 0.9, 1e-2, null, 3),
        Trial(3, "coarse", 1e-4, 1e-6, 0.70, 3), Trial(4, "fine", 5e-3, 2e-5, 0.87, 6), Trial(5, "fine", 8e-3, 3e-5, 0.88, 6),
        // A trial of a stage that searched no l2 (its space had only lr): on the lr picture, not on the l2 one.
        new(6, "fine", new Dictionary<string, double> { ["lr"] = 6e-3 }, 0.86, T0.AddSeconds(9), T0.AddSeconds(12)),
    ];

    [Fact]
    public void Each_hyperparameter_picture_has_one_point_per_finished_trial_at_its_log_value_with_failures_as_crosses()
    {
        var lr = SearchPlots.Points(Trials, new SearchPlotAxis("lr", Log: true));
        Assert.Equal(Trials.Select(t => t.Number), lr.Select(p => p.Number));
        foreach (var (p, t) in lr.Zip(Trials))
        {
            Assert.Equal(Math.Log10(t.Values["lr"]), p.X, 12);
            Assert.Equal(t.Stage, p.Stage);
            Assert.Equal(t.Score is null, p.Failed);
            // A failure has no score: it is drawn at the lowest score of the search, 0.70.
            Assert.Equal(t.Score ?? 0.70, p.Y, 12);
        }
        var l2 = SearchPlots.Points(Trials, new SearchPlotAxis("l2", Log: false));
        Assert.Equal([0L, 1, 2, 3, 4, 5], l2.Select(p => p.Number));
        Assert.Equal(1e-5, l2[0].X, 15);
    }

    [Fact]
    public void The_pictures_are_real_pngs_of_the_stated_size_with_each_stage_in_its_colour()
    {
        string folder = Folders.Fresh("search-plots");
        var files = SearchPlots.Write(folder, "study", Trials, [new SearchPlotAxis("lr", true), new SearchPlotAxis("l2", true)]);
        Assert.Equal(["score-lr.png", "score-l2.png", "trials-over-time.png"], files.Select(f => f.Name));
        foreach (var file in files)
        {
            Assert.Equal(Path.Combine(folder, file.Name), file.Path);
            byte[] bytes = File.ReadAllBytes(file.Path);
            // The PNG signature, then the IHDR chunk with the width and height (big-endian) the pictures promise.
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
            Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
            Assert.Equal(RunPlots.Width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            Assert.Equal(RunPlots.Height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
            using var bitmap = SKBitmap.Decode(file.Path);
            Assert.Equal((RunPlots.Width, RunPlots.Height), (bitmap.Width, bitmap.Height));
            // Both stages' colours are drawn (coarse steel blue, fine dark orange: ScottPlot's named colours).
            Assert.True(Count(bitmap, new SKColor(70, 130, 180)) > 20, $"{file.Name}: no coarse (steel blue) marks");
            Assert.True(Count(bitmap, new SKColor(255, 140, 0)) > 20, $"{file.Name}: no fine (dark orange) marks");
        }
        // With no timed trial there is no trials-over-time picture; with no axis, no score picture.
        var untimed = Trials.Select(t => t with { Started = null }).ToArray();
        Assert.Equal(["score-lr.png"], SearchPlots.Write(Folders.Fresh("search-plots-untimed"), "study", untimed, [new SearchPlotAxis("lr", true)]).Select(f => f.Name));
    }

    private static int Count(SKBitmap bitmap, SKColor color)
    {
        int n = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y) == color) n++;
        return n;
    }
}
