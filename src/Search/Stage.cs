// Coarse → fine: a stage's trial count, epoch budget and ranges, the narrowing of the next stage's ranges around the best trials, and the "widen the range" warning.
using System.Globalization;
using System.Text.Json.Nodes;

namespace Functional.Search;

/// <summary>
/// One stage of a search: <paramref name="Trials"/> random trials of <paramref name="Epochs"/> epochs each. Its ranges
/// are <paramref name="Space"/> when given; otherwise the first stage searches the study's space and each later stage
/// the ranges narrowed around the best <paramref name="Top"/> trials of the stage before (<see cref="Narrowing"/>; null:
/// the study's <see cref="Narrowing.Top"/>, 5 by default).
/// </summary>
public sealed record Stage(string Name, int Trials, int Epochs, SearchSpace? Space = null, int? Top = null)
{
    /// <summary>The stage's name (printed, and its colour in the plots).</summary>
    public string Name { get; init; } = string.IsNullOrWhiteSpace(Name) || Name.Any(char.IsWhiteSpace) || Name.Contains(':')
        ? throw new ArgumentException($"a stage's name must be a non-empty word without ':'; got \"{Name}\"") : Name;

    /// <summary>How many trials the stage runs.</summary>
    public int Trials { get; init; } = Trials > 0 ? Trials : throw new ArgumentException($"stage {Name}: needs at least one trial; got {Trials}");

    /// <summary>Epochs each of its trials trains for.</summary>
    public int Epochs { get; init; } = Epochs > 0 ? Epochs : throw new ArgumentException($"stage {Name}: needs at least one epoch; got {Epochs}");

    /// <summary>How many of the previous stage's best complete trials its ranges narrow around (null: the study's narrowing decides).</summary>
    public int? Top { get; init; } = Top is null or > 0 ? Top : throw new ArgumentException($"stage {Name}: narrows around at least the top 1 trial; got top {Top}");

    /// <summary>
    /// Reads <c>NAME:TRIALSxEPOCHS[:topN]</c>, the command line's <c>--stage</c>: <c>coarse:24x1</c>, or
    /// <c>fine:12x3:top5</c> for a stage narrowed around the best 5 trials of the one before.
    /// </summary>
    public static Stage Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        var budget = parts.Length >= 2 ? parts[1].Split('x', 'X') : [];
        int top = 0;
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || budget.Length != 2
            || !int.TryParse(budget[0], NumberStyles.None, CultureInfo.InvariantCulture, out int trials)
            || !int.TryParse(budget[1], NumberStyles.None, CultureInfo.InvariantCulture, out int epochs)
            || (parts.Length == 3 && !(parts[2].StartsWith("top", StringComparison.OrdinalIgnoreCase)
                                       && int.TryParse(parts[2][3..], NumberStyles.None, CultureInfo.InvariantCulture, out top))))
            throw new FormatException($"stage \"{text}\": expected NAME:TRIALSxEPOCHS or NAME:TRIALSxEPOCHS:topN, e.g. coarse:24x1 or fine:12x3:top5");
        return new Stage(parts[0], trials, epochs, Top: parts.Length == 3 ? top : null);
    }

    /// <summary>As <see cref="Parse"/> reads it.</summary>
    public override string ToString() => $"{Name}:{Trials}x{Epochs}{(Top is { } t ? $":top{t}" : "")}";

    internal JsonObject ToJson()
    {
        var o = new JsonObject { ["name"] = Name, ["trials"] = Trials, ["epochs"] = Epochs };
        if (Space is not null) o["space"] = Space.ToJson();
        if (Top is { } top) o["top"] = top;
        return o;
    }

    internal static Stage FromJson(JsonNode node) => new(
        (string?)node["name"] ?? "", (int)node["trials"]!, (int)node["epochs"]!, node["space"] is { } space ? SearchSpace.FromJson(space) : null,
        (int?)node["top"]);
}

/// <summary>
/// How the next stage's ranges follow from the last stage's results: the best <see cref="Top"/> complete trials (all of
/// them when fewer completed) span a range in each numeric dimension (in log space for a log one); the range is widened
/// by <see cref="Widen"/> of its width on each side, kept at least <see cref="MinimumWidth"/> of the old width (so
/// agreeing trials do not collapse it to a point), and clamped to the old range. A categorical dimension keeps the
/// choices the best trials made. A stage's own <see cref="Stage.Top"/> overrides the count.
/// </summary>
public sealed record Narrowing(int Top = 5, double Widen = 0.25, double MinimumWidth = 0.1)
{
    /// <summary>How many of the stage's best complete trials span the new range (the issue's "top 5" by default).</summary>
    public int Top { get; init; } = Top >= 1 ? Top : throw new ArgumentException($"narrowing: Top must be at least 1 trial; got {Top}");

    /// <summary>The span of the best trials is widened by this fraction of itself on each side.</summary>
    public double Widen { get; init; } = Widen >= 0 ? Widen : throw new ArgumentException($"narrowing: Widen must be ≥ 0; got {Widen}");

    /// <summary>The narrowed range is at least this fraction of the old one (in sampling coordinates).</summary>
    public double MinimumWidth { get; init; } = MinimumWidth is > 0 and <= 1 ? MinimumWidth : throw new ArgumentException($"narrowing: MinimumWidth must be in (0, 1]; got {MinimumWidth}");

    /// <summary>
    /// The ranges around the best <paramref name="top"/> (default <see cref="Top"/>) of <paramref name="scored"/>
    /// (higher score is better) within <paramref name="space"/>; throws when no trial has a score (every trial failed:
    /// there is nothing to narrow around).
    /// </summary>
    public SearchSpace Apply(SearchSpace space, IReadOnlyList<(ParameterSet Parameters, double Score)> scored, int? top = null)
    {
        if (scored.Count == 0) throw new InvalidOperationException("no trial of the last stage has a score, so there is nothing to narrow around; look at why they failed");
        if (top is < 1) throw new ArgumentOutOfRangeException(nameof(top), top, "narrowing needs at least the top 1 trial");
        int k = Math.Min(scored.Count, top ?? Top);
        var best = scored.OrderByDescending(s => s.Score).Take(k).Select(s => s.Parameters).ToArray();
        return new SearchSpace(space.Dimensions.Select(d => Narrow(d, best)));
    }

    private Dimension Narrow(Dimension d, ParameterSet[] best)
    {
        if (d.Kind == DimensionKind.Categorical)
            return d.WithChoices([.. d.Choices.Where(c => best.Any(b => b.Choice(d.Name) == c))]);
        // Work in the coordinate the dimension is sampled in, where "a bit wider" means the same on every scale.
        Func<double, double> to = d.Log ? Math.Log : v => v, from = d.Log ? Math.Exp : v => v;
        double oldLow = to(d.Low), oldHigh = to(d.High);
        var ts = best.Select(b => to(b.Real(d.Name))).ToArray();
        double low = ts.Min(), high = ts.Max(), width = high - low;
        low -= Widen * width;
        high += Widen * width;
        double minimum = MinimumWidth * (oldHigh - oldLow);
        if (high - low < minimum)
        {
            double middle = (low + high) / 2;
            (low, high) = (middle - minimum / 2, middle + minimum / 2);
            // Against an edge, shift rather than cut, so the range keeps its minimum width.
            if (low < oldLow) (low, high) = (oldLow, oldLow + minimum);
            if (high > oldHigh) (low, high) = (oldHigh - minimum, oldHigh);
        }
        double lo = Math.Max(d.Low, from(Math.Max(low, oldLow))), hi = Math.Min(d.High, from(Math.Min(high, oldHigh)));
        if (d.Kind == DimensionKind.Integer)
        {
            (lo, hi) = (Math.Floor(lo), Math.Ceiling(hi));
            if (lo >= hi) (lo, hi) = hi < d.High ? (lo, hi + 1) : (lo - 1, hi);
        }
        return lo < hi ? d.WithRange(lo, hi) : d;
    }
}

/// <summary>The lecture's warning: the best value of a hyperparameter sits at the edge of its range, so the best may lie outside it.</summary>
/// <param name="Dimension">The hyperparameter.</param>
/// <param name="Value">The best trial's value.</param>
/// <param name="Range">The range the stage searched.</param>
/// <param name="Upper">At the upper edge (else the lower).</param>
public sealed record EdgeWarning(string Dimension, double Value, string Range, bool Upper)
{
    /// <summary>How close to an edge (as a fraction of the range, in sampling coordinates) counts as at the edge.</summary>
    public const double Margin = 0.05;

    /// <summary>The warnings for the best of <paramref name="best"/> in <paramref name="space"/>: one per numeric dimension whose value is within <see cref="Margin"/> of an end.</summary>
    public static IReadOnlyList<EdgeWarning> For(SearchSpace space, ParameterSet best) =>
    [
        .. space.Dimensions.Where(d => d.Kind != DimensionKind.Categorical && best.Contains(d.Name)).Select(d =>
        {
            double v = best.Real(d.Name), at = d.Position(v);
            return at < Margin || at > 1 - Margin ? new EdgeWarning(d.Name, v, d.ToString(), at > 0.5) : null;
        }).OfType<EdgeWarning>(),
    ];

    /// <summary>One line: which value, which edge of which range, and what to do.</summary>
    public override string ToString() =>
        $"{Dimension}: the best value {Search.Dimension.Display(Value)} sits at the {(Upper ? "upper" : "lower")} edge of {Range}; widen the range {(Upper ? "upwards" : "downwards")}";
}
