// Stopping unpromising trials early: the lecture's kill rule (non-finite, or above 3× the initial loss) as a step observer, and median and successive-halving pruners comparing trials at equal epochs.
using System.Text.Json.Nodes;
using Functional.Training;

namespace Functional.Search;

/// <summary>
/// The lecture's early kill as an observer of the fold: the first step's loss is the initial loss, and a step whose
/// loss is non-finite or above <see cref="Factor"/> times it stops the trial at once ("if the cost is ever &gt; 3 ×
/// the original cost, break out early"). Use one per trial, over all its epochs; read <see cref="Reason"/> after the fold.
/// </summary>
public sealed class EarlyKill(double factor = 3) : IStepObserver
{
    /// <summary>How many times the initial loss a step's loss may reach.</summary>
    public double Factor { get; } = factor > 1 ? factor : throw new ArgumentOutOfRangeException(nameof(factor), factor, "the early kill's factor must be above 1");

    /// <summary>The first step's loss (NaN before any step).</summary>
    public double InitialLoss { get; private set; } = double.NaN;

    /// <summary>Why the trial was stopped, or null while it goes on.</summary>
    public string? Reason { get; private set; }

    /// <summary>True once the trial was stopped.</summary>
    public bool Killed => Reason is not null;

    /// <inheritdoc />
    public Verdict OnStep(in StepReport report)
    {
        double loss = report.Loss;
        if (double.IsNaN(InitialLoss) && double.IsFinite(loss)) InitialLoss = loss;
        if (!double.IsFinite(loss)) Reason = $"loss {loss} at step {report.Step}";
        else if (loss > Factor * InitialLoss) Reason = $"loss {loss:G4} at step {report.Step} is above {Factor:G3}× the initial {InitialLoss:G4}";
        return Killed ? Verdict.Stop : Verdict.Continue;
    }
}

/// <summary>
/// Decides, from the values other trials of the same stage reported at the same epoch, whether a trial should stop.
/// Values are scores (higher is better), e.g. validation accuracy after each epoch. Comparisons are with whatever
/// has been reported so far, so trials running side by side are judged as in Optuna's asynchronous pruners.
/// </summary>
public abstract record Pruner
{
    /// <summary>
    /// True when a trial that reported <paramref name="value"/> after <paramref name="epoch"/> (from 1) should stop, given
    /// <paramref name="reported"/>: the values every trial of its stage reported at that epoch, its own included once.
    /// </summary>
    public abstract bool ShouldPrune(int epoch, double value, IReadOnlyList<double> reported);

    internal abstract JsonObject ToJson();

    internal static Pruner? FromJson(JsonNode? node) => node is null ? null : (string?)node["kind"] switch
    {
        "median" => new MedianPruner((int)node["warmup"]!, (int)node["minimumTrials"]!),
        "halving" => new SuccessiveHalvingPruner((int)node["minimumEpochs"]!, (int)node["eta"]!),
        var kind => throw new FormatException($"unknown pruner \"{kind}\" in the study definition"),
    };

    /// <summary>Reads <c>none</c>, <c>median</c> or <c>halving</c> (defaults for their settings), the command line's <c>--pruner</c>.</summary>
    public static Pruner? Parse(string text) => text switch
    {
        "none" => null,
        "median" => new MedianPruner(),
        "halving" => new SuccessiveHalvingPruner(),
        _ => throw new FormatException($"pruner \"{text}\": expected none, median or halving"),
    };
}

/// <summary>
/// Stops a trial whose value is below the median of the other trials' values at the same epoch, once it has trained
/// <see cref="Warmup"/> epochs and at least <see cref="MinimumTrials"/> others have reported (fewer say little).
/// </summary>
public sealed record MedianPruner(int Warmup = 1, int MinimumTrials = 4) : Pruner
{
    /// <inheritdoc />
    public override bool ShouldPrune(int epoch, double value, IReadOnlyList<double> reported)
    {
        if (epoch < Warmup) return false;
        var others = Without(reported, value);
        if (others.Count < MinimumTrials) return false;
        others.Sort();
        double median = others.Count % 2 == 1 ? others[others.Count / 2] : (others[others.Count / 2 - 1] + others[others.Count / 2]) / 2;
        return value < median;
    }

    internal override JsonObject ToJson() => new() { ["kind"] = "median", ["warmup"] = Warmup, ["minimumTrials"] = MinimumTrials };

    /// <summary>The values with one occurrence of <paramref name="own"/> taken out (the trial's own report).</summary>
    internal static List<double> Without(IReadOnlyList<double> reported, double own)
    {
        var others = reported.ToList();
        int at = others.IndexOf(own);
        if (at >= 0) others.RemoveAt(at);
        return others;
    }
}

/// <summary>
/// Successive halving (Jamieson &amp; Talwalkar 2016, asynchronously as Li et al.'s ASHA): rungs at
/// <see cref="MinimumEpochs"/> × <see cref="Eta"/>^k epochs; at a rung a trial goes on only if it is in the top
/// 1/<see cref="Eta"/> of the values reported there so far (its own included). Between rungs it is not judged.
/// </summary>
public sealed record SuccessiveHalvingPruner(int MinimumEpochs = 1, int Eta = 3) : Pruner
{
    /// <summary>The first rung's epoch.</summary>
    public int MinimumEpochs { get; init; } = MinimumEpochs >= 1 ? MinimumEpochs : throw new ArgumentException($"successive halving: MinimumEpochs must be at least 1; got {MinimumEpochs}");

    /// <summary>The reduction factor: one in <see cref="Eta"/> trials is promoted at each rung.</summary>
    public int Eta { get; init; } = Eta >= 2 ? Eta : throw new ArgumentException($"successive halving: Eta must be at least 2; got {Eta}");

    /// <summary>True when <paramref name="epoch"/> is a rung.</summary>
    public bool IsRung(int epoch)
    {
        for (long r = MinimumEpochs; r <= epoch; r *= Eta)
            if (r == epoch) return true;
        return false;
    }

    /// <inheritdoc />
    public override bool ShouldPrune(int epoch, double value, IReadOnlyList<double> reported)
    {
        if (!IsRung(epoch)) return false;
        // The number promoted: the top ⌊n/η⌋ of the n reported, at least one (the first trial at a rung always goes on).
        int promoted = Math.Max(1, reported.Count / Eta);
        var sorted = reported.OrderByDescending(v => v).ToArray();
        return value < sorted[Math.Min(promoted, sorted.Length) - 1];
    }

    internal override JsonObject ToJson() => new() { ["kind"] = "halving", ["minimumEpochs"] = MinimumEpochs, ["eta"] = Eta };
}
