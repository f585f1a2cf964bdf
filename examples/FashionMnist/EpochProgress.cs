// Watches the fold: running loss and accuracy for the epoch, drawn as a progress bar on a terminal.
using Functional.Training;

namespace FashionExample;

internal sealed class EpochProgress(int epoch, int epochs, int batches, int alreadyDone = 0) : IStepObserver
{
    private readonly bool interactive = !Console.IsOutputRedirected;
    private double lossSum;
    private long correct, seen;
    private int steps = alreadyDone;

    public double MeanLoss => seen == 0 ? double.NaN : lossSum / seen;
    public double Accuracy => seen == 0 ? 0 : (double)correct / seen;

    public Verdict OnStep(in StepReport report)
    {
        lossSum += (double)report.Loss * report.Count;
        correct += report.Correct;
        seen += report.Count;
        steps++;
        // Redraw about 40 times an epoch: often enough to watch, rare enough to cost nothing.
        if (interactive && (steps % Math.Max(1, batches / 40) == 0 || steps == batches))
            Console.Write($"\r{Prefix()} {Bar()} {steps}/{batches}  loss {MeanLoss:F4}  acc {Accuracy:P1}   ");
        return Verdict.Continue;
    }

    public void Finish(string summary)
    {
        if (interactive) Console.Write("\r" + new string(' ', Math.Max(0, Console.BufferWidth - 1)) + "\r");
        Console.WriteLine($"{Prefix()} {summary}");
    }

    /// <summary>Clears the bar for a message that ends the epoch early (divergence, interruption).</summary>
    public void Abandon()
    {
        if (interactive) Console.WriteLine();
    }

    private string Prefix() => $"epoch {epoch.ToString().PadLeft(epochs.ToString().Length)}/{epochs}";

    private string Bar()
    {
        const int width = 24;
        int filled = (int)Math.Round(width * (double)steps / batches);
        return "[" + new string('#', filled) + new string('.', width - filled) + "]";
    }
}
