// Watches the fold: running loss and accuracy for the epoch, drawn on a terminal as one line that fits its width; plain epoch lines when redirected.
using System.Diagnostics;
using Functional.Training;
using Spectre.Console;

namespace FashionExample;

/// <summary>
/// One epoch's progress. A step only adds to counters and reads the clock (no allocation); at most ten times a second the
/// line is redrawn in place, laid out by <see cref="ProgressLine"/> for the terminal's current width. When output is
/// redirected nothing is drawn, so a log holds only <see cref="Finish"/>'s one line per epoch.
/// </summary>
internal sealed class EpochProgress(int epoch, int epochs, int batches, int alreadyDone = 0, Functional.Persistence.EpochTally? soFar = null) : IStepObserver
{
    private static readonly long RedrawEvery = Stopwatch.Frequency / 10;
    private readonly bool interactive = !Console.IsOutputRedirected;
    private readonly long started = Stopwatch.GetTimestamp();
    private long drawnAt = Stopwatch.GetTimestamp();
    private bool drawn;
    // The epoch's sums, from its first batch (a resumed epoch starts from the checkpoint's); the rate counts this run's samples.
    private double lossSum = soFar?.LossSum ?? 0, dataLossSum = soFar?.DataLossSum ?? 0;
    private long correct = soFar?.Correct ?? 0, seen = soFar?.Seen ?? 0, firstStep = soFar?.FirstStep ?? -1, seenHere;
    private readonly int skipped = alreadyDone;
    private int steps = alreadyDone;

    public double MeanLoss => seen == 0 ? double.NaN : lossSum / seen;
    public double Accuracy => seen == 0 ? 0 : (double)correct / seen;

    /// <summary>The sums so far, for a checkpoint written mid-epoch.</summary>
    public Functional.Persistence.EpochTally SoFar => new(lossSum, dataLossSum, correct, seen, firstStep);

    public Verdict OnStep(in StepReport report)
    {
        lossSum += (double)report.Loss * report.Count;
        dataLossSum += (double)report.DataLoss * report.Count;
        correct += report.Correct;
        seen += report.Count;
        seenHere += report.Count;
        if (firstStep < 0) firstStep = report.Step;
        steps++;
        if (interactive)
        {
            long now = Stopwatch.GetTimestamp();
            if (now - drawnAt >= RedrawEvery)
            {
                drawnAt = now;
                Draw(now);
            }
        }
        return Verdict.Continue;
    }

    public void Finish(string summary)
    {
        Clear();
        Console.WriteLine($"{ProgressLine.Prefix(epoch, epochs)} {summary}");
    }

    /// <summary>Clears the bar (and a "^C" the terminal echoed into it) for a message that ends the epoch early.</summary>
    public void Abandon() => Clear();

    /// <summary>The frame as of <paramref name="now"/>: the ETA extrapolates this run's steps (a resumed epoch's skipped ones took no time).</summary>
    private ProgressFrame Frame(long now)
    {
        var elapsed = Stopwatch.GetElapsedTime(started, now);
        int done = steps - skipped;
        TimeSpan? remaining = done > 0 ? elapsed * ((double)(batches - steps) / done) : null;
        double rate = elapsed > TimeSpan.Zero ? seenHere / elapsed.TotalSeconds : 0;
        return new ProgressFrame(epoch, epochs, steps, batches, elapsed, remaining, rate, MeanLoss, Accuracy);
    }

    private void Draw(long now)
    {
        // Spectre's profile reads the terminal's width on every call (so a resized window is followed) and falls back to
        // 80 columns where it cannot. Three columns stay free: the terminal's echo of Ctrl-C ("^C") lands after the line,
        // and it must not wrap onto a new row, or Abandon would clear that row and leave the bar above its message.
        int width = Math.Max(1, AnsiConsole.Profile.Width - 3);
        string line = ProgressLine.Render(Frame(now), width);
        Console.Out.Write("\r" + line + (Ansi ? "\x1b[K" : new string(' ', width - line.Length)));
        Console.Out.Flush();
        drawn = true;
    }

    private void Clear()
    {
        if (!interactive) return;
        if (Ansi) Console.Out.Write("\r\x1b[K");
        else if (drawn) Console.Out.Write("\r" + new string(' ', Math.Max(0, AnsiConsole.Profile.Width - 1)) + "\r");
        Console.Out.Flush();
        drawn = false;
    }

    /// <summary>Whether the terminal understands "erase to end of line" (Spectre reads TERM and the platform).</summary>
    private static bool Ansi => AnsiConsole.Profile.Capabilities.Ansi;
}
