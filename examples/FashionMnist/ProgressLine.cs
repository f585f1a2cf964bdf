// Lays out one epoch's progress as a single line of at most a given width, shortening and dropping parts as it narrows.
using System.Globalization;

namespace FashionExample;

/// <summary>What the progress line shows at one moment of an epoch.</summary>
/// <param name="Remaining">The epoch's estimated time left; null while there is nothing to estimate from.</param>
internal readonly record struct ProgressFrame(
    int Epoch, int Epochs, int Step, int Steps, TimeSpan Elapsed, TimeSpan? Remaining, double SamplesPerSecond, double Loss, double Accuracy);

internal static class ProgressLine
{
    /// <summary>Inner width of the bar: it takes what is left between these, and goes before it would be narrower.</summary>
    public const int MinimumBar = 8, MaximumBar = 30;

    /// <summary>
    /// The line for <paramref name="f"/> in at most <paramref name="width"/> characters. As the width shrinks, the rate
    /// and elapsed time get short forms, the separators tighten, then parts go in this order: elapsed time, samples/s,
    /// the step counter (replaced by a percentage), accuracy, a digit of the loss, the bar, the percentage, loss, ETA;
    /// below that the "epoch i/n" prefix is cut.
    /// </summary>
    public static string Render(ProgressFrame f, int width)
    {
        if (width <= 0) return "";
        string prefix = Prefix(f.Epoch, f.Epochs);
        double fraction = f.Steps <= 0 ? 0 : Math.Clamp((double)f.Step / f.Steps, 0, 1);
        var remaining = f.Remaining is { } r ? Clock(r) : "-:--";
        var longParts = new Part[]
        {
            new(Kind.Bar, ""),
            // Counters padded to their final width, so the bar does not jump as they grow.
            new(Kind.Steps, $"{f.Step.ToString(CultureInfo.InvariantCulture).PadLeft(f.Steps.ToString(CultureInfo.InvariantCulture).Length)}/{f.Steps}"),
            new(Kind.Elapsed, $"elapsed {Clock(f.Elapsed)}"),
            new(Kind.Eta, $"eta {remaining}"),
            new(Kind.Rate, $"{f.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture),6} samples/s"),
            new(Kind.Loss, $"loss {f.Loss.ToString("F4", CultureInfo.InvariantCulture)}"),
            new(Kind.Accuracy, $"acc {f.Accuracy.ToString("P1", CultureInfo.InvariantCulture)}"),
        };
        string percent = fraction.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "").PadLeft(4);

        // Each degradation applies on top of the previous ones; the first layout that fits is drawn.
        var parts = longParts.ToList();
        string separator = "  ";
        var degradations = new Action[]
        {
            () => { Replace(parts, Kind.Rate, $"{Short(f.SamplesPerSecond),5}/s"); Replace(parts, Kind.Elapsed, Clock(f.Elapsed)); },
            () => separator = " ",
            () => parts.RemoveAll(p => p.Kind == Kind.Elapsed),
            () => parts.RemoveAll(p => p.Kind == Kind.Rate),
            () => Replace(parts, Kind.Steps, percent),
            () => parts.RemoveAll(p => p.Kind == Kind.Accuracy),
            () => Replace(parts, Kind.Loss, $"loss {f.Loss.ToString("F3", CultureInfo.InvariantCulture)}"),
            () => parts.RemoveAll(p => p.Kind == Kind.Bar),
            () => parts.RemoveAll(p => p.Kind == Kind.Steps),
            () => parts.RemoveAll(p => p.Kind == Kind.Loss),
            () => parts.RemoveAll(p => p.Kind == Kind.Eta),
        };
        int next = 0;
        while (Length(prefix, parts, separator, MinimumBar) > width && next < degradations.Length) degradations[next++]();
        int fixedLength = Length(prefix, parts, separator, 0);
        if (fixedLength > width) return prefix[..width];

        int bar = Math.Min(MaximumBar, width - fixedLength);
        return prefix + string.Concat(parts.Select(p => separator + (p.Kind == Kind.Bar ? Bar(fraction, bar) : p.Text)));
    }

    /// <summary>"epoch  3/10": the number padded so every epoch's line lines up.</summary>
    public static string Prefix(int epoch, int epochs) =>
        $"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length)}/{epochs}";

    /// <summary>m:ss, or h:mm:ss from an hour on.</summary>
    public static string Clock(TimeSpan t)
    {
        if (t < TimeSpan.Zero || t > TimeSpan.FromDays(1)) return t < TimeSpan.Zero ? "0:00" : ">1d";
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");
    }

    private enum Kind { Bar, Steps, Elapsed, Eta, Rate, Loss, Accuracy }

    private sealed record Part(Kind Kind, string Text);

    private static void Replace(List<Part> parts, Kind kind, string text)
    {
        int i = parts.FindIndex(p => p.Kind == kind);
        if (i >= 0) parts[i] = parts[i] with { Text = text };
    }

    /// <summary>The line's length with the bar (if any) at <paramref name="bar"/> inner columns plus its brackets.</summary>
    private static int Length(string prefix, List<Part> parts, string separator, int bar) =>
        prefix.Length + parts.Sum(p => separator.Length + (p.Kind == Kind.Bar ? bar + 2 : p.Text.Length));

    /// <summary>[#####.....] with <paramref name="inner"/> columns between the brackets.</summary>
    private static string Bar(double fraction, int inner)
    {
        int filled = (int)Math.Round(inner * fraction);
        return "[" + new string('#', filled) + new string('.', inner - filled) + "]";
    }

    private static string Short(double rate) => rate switch
    {
        >= 1e6 => (rate / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (rate / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + "k",
        _ => rate.ToString("0", CultureInfo.InvariantCulture),
    };
}
