// Coarse → fine: a stage's trial count, epoch budget and ranges, the narrowing of the next stage's ranges around the best trials, and the "widen the range" warning.
using System.Globalization;
using System.Text.Json.Nodes;

namespace Functional.Search;

/// <summary>
/// One stage of a search: <paramref name="Trials"/> random trials of <paramref name="Epochs"/> epochs each. Its ranges
/// are <paramref name="Space"/> when given; otherwise the first stage searches the study's space and each later stage
/// the ranges narrowed around the best trials of the stage before (<see cref="Narrowing"/>).
/// </summary>
public sealed record Stage(string Name, int Trials, int Epochs, SearchSpace? Space = null)
{
    /// <summary>The stage's name (printed, and its colour in the plots).</summary>
    public string Name { get; init; } = string.IsNullOrWhiteSpace(Name) || Name.Any(char.IsWhiteSpace)
        ? throw new ArgumentException($"a stage's name must be a non-empty word; got \"{Name}\"") : Name;

    /// <summary>How many trials the stage runs.</summary>
    public int Trials { get; init; } = Trials > 0 ? Trials : throw new ArgumentException($"stage {Name}: needs at least one trial; got {Trials}");

    /// <summary>Epochs each of its trials trains for.</summary>
    public int Epochs { get; init; } = Epochs > 0 ? Epochs : throw new ArgumentException($"stage {Name}: needs at least one epoch; got {Epochs}");

    /// <summary>Reads <c>NAME:TRIALSxEPOCHS</c> (<c>coarse:24x1</c>), the command line's <c>--stage</c>.</summary>
    public static Stage Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        var budget = colon < 0 ? [] : text[(colon + 1)..].Split('x', 'X');
        if (colon <= 0 || budget.Length != 2
            || !int.TryParse(budget[0], NumberStyles.None, CultureInfo.InvariantCulture, out int trials)
            || !int.TryParse(budget[1], NumberStyles.None, CultureInfo.InvariantCulture, out int epochs))
            throw new FormatException($"stage \"{text}\": expected NAME:TRIALSxEPOCHS, e.g. coarse:24x1");
        return new Stage(text[..colon], trials, epochs);
    }

    /// <summary>As <see cref="Parse"/> reads it.</summary>
    public override string ToString() => $"{Name}:{Trials}x{Epochs}";

    internal JsonObject ToJson()
    {
        var o = new JsonObject { ["name"] = Name, ["trials"] = Trials, ["epochs"] = Epochs };
        if (Space is not null) o["space"] = Space.ToJson();
        return o;
    }

    internal static Stage FromJson(JsonNode node) => new(
        (string?)node["name"] ?? "", (int)node["trials"]!, (int)node["epochs"]!, node["space"] is { } space ? SearchSpace.FromJson(space) : null);
}

/// <summary>
/// How the next stage's ranges follow from the last stage's results: the best <see cref="Top"/> trials (at least
/// <see cref="MinimumTop"/>) span a range in each numeric dimension (in log space for a log one); the range is widened
/// by <see cref="Widen"/> of its width on each side, kept at least <see cref="MinimumWidth"/> of the old width (so
/// agreeing trials do not collapse it to a point), and clamped to the old range. A categorical dimension keeps the
/// choices the best trials made.
/// </summary>
public sealed record Narrowing(double Top = 0.25, int MinimumTop = 3, double Widen = 0.25, double MinimumWidth = 0.1)
{
    /// <summary>The share of the stage's scored trials whose span becomes the new range.</summary>
    public double Top { get; init; } = Top is > 0 and <= 1 ? Top : throw new ArgumentException($"narrowing: Top must be in (0, 1]; got {Top}");

    /// <summary>The best trials kept at least, however few <see cref="Top"/> gives.</summary>
    public int MinimumTop { get; init; } = MinimumTop >= 1 ? MinimumTop : throw new ArgumentException($"narrowing: MinimumTop must be at least 1; got {MinimumTop}");

    /// <summary>The span of the best trials is widened by this fraction of itself on each side.</summary>
    public double Widen { get; init; } = Widen >= 0 ? Widen : throw new ArgumentException($"narrowing: Widen must be ≥ 0; got {Widen}");

    /// <summary>The narrowed range is at least this fraction of the old one (in sampling coordinates).</summary>
    public double MinimumWidth { get; init; } = MinimumWidth is > 0 and <= 1 ? MinimumWidth : throw new ArgumentException($"narrowing: MinimumWidth must be in (0, 1]; got {MinimumWidth}");

    /// <summary>
    /// The ranges around the best of <paramref name="scored"/> (higher score is better) within <paramref name="space"/>;
    /// throws when no trial has a score (every trial failed: there is nothing to narrow around).
    /// </summary>
    public SearchSpace Apply(SearchSpace space, IReadOnlyList<(ParameterSet Parameters, double Score)> scored)
    {
        if (scored.Count == 0) throw new InvalidOperationException("no trial of the last stage has a score, so there is nothing to narrow around; look at why they failed");
        int k = Math.Min(scored.Count, Math.Max(MinimumTop, (int)Math.Ceiling(Top * scored.Count)));
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
