// What a trial function is given (its hyperparameters, epoch budget, seed, a way to report and be pruned) and what it returns (a score, pruned, or failed).
using System.Globalization;
using System.Text.Json.Nodes;
using Functional.Search.Storage;

namespace Functional.Search;

/// <summary>
/// Runs one trial: trains a network with <see cref="TrialContext.Parameters"/> for <see cref="TrialContext.Epochs"/>
/// epochs and returns its validation score (higher is better: accuracy, or a negated loss).
/// </summary>
public delegate TrialResult TrialFunction(TrialContext context);

/// <summary>How a trial ended: scored (with the spread over folds when cross-validated), pruned, or failed.</summary>
/// <param name="State">Complete, Pruned or Failed.</param>
/// <param name="Score">The validation score (for a pruned trial the last value it reported); null for a failure.</param>
/// <param name="Std">The standard deviation of the score over folds, when cross-validated.</param>
/// <param name="FoldScores">Each fold's score, when cross-validated.</param>
/// <param name="Message">Why it failed or was pruned.</param>
/// <param name="EpochsRun">Epochs actually trained (fewer than the budget when stopped early).</param>
public sealed record TrialResult(TrialState State, double? Score, double? Std = null, IReadOnlyList<double>? FoldScores = null, string? Message = null, int? EpochsRun = null)
{
    /// <summary>A finished trial with its score.</summary>
    public static TrialResult Scored(double score, int? epochs = null) => new(TrialState.Complete, score, EpochsRun: epochs);

    /// <summary>A finished cross-validated trial: the mean of <paramref name="scores"/> ± their standard deviation.</summary>
    public static TrialResult Scored(CrossValidationScore scores) => new(TrialState.Complete, scores.Mean, scores.Std, scores.Folds);

    /// <summary>A trial a pruner stopped after <paramref name="epoch"/>, with the value it reported there.</summary>
    public static TrialResult Pruned(double value, int epoch) => new(TrialState.Pruned, value, Message: $"pruned after epoch {epoch}", EpochsRun: epoch);

    /// <summary>A trial stopped by the early kill or an error.</summary>
    public static TrialResult Failed(string reason, int? epochs = null) => new(TrialState.Failed, null, Message: reason, EpochsRun: epochs);
}

/// <summary>
/// A trial as its function sees it. <see cref="Report"/> records a value after each epoch for the pruners and says
/// whether to stop; <see cref="Cancelled"/> is signalled when the study is stopped or the worker lost its lease (another
/// worker has the trial then, so there is no point going on).
/// </summary>
public sealed class TrialContext
{
    private readonly Func<int, double, bool> report;

    /// <summary>A trial context; <paramref name="report"/> records a value and answers true to stop (null: never stop).</summary>
    public TrialContext(long number, ResolvedStage stage, ParameterSet parameters, long seed, StudyDefinition? definition = null,
        Func<int, double, bool>? report = null, CancellationToken cancelled = default)
    {
        (Number, Stage, Parameters, Seed, Definition, Cancelled) = (number, stage, parameters, seed, definition, cancelled);
        this.report = report ?? ((_, _) => false);
    }

    /// <summary>A context outside any study (one trial run by hand, or a test): stage "manual", no pruning.</summary>
    public static TrialContext Standalone(ParameterSet parameters, int epochs, long seed = 1, StudyDefinition? definition = null) =>
        new(0, new ResolvedStage(0, new Stage("manual", 1, epochs), new SearchSpace(Dimension.Uniform("none", 0, 1))), parameters, seed, definition);

    /// <summary>The trial's number in its study (from 0, over all stages).</summary>
    public long Number { get; }

    /// <summary>The stage it belongs to.</summary>
    public ResolvedStage Stage { get; }

    /// <summary>Its epoch budget.</summary>
    public int Epochs => Stage.Stage.Epochs;

    /// <summary>Its hyperparameters.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The study's seed, for initialisation, splits and batch order (the same for every trial, so they differ only in their hyperparameters).</summary>
    public long Seed { get; }

    /// <summary>The study's definition (its settings), when run in a study.</summary>
    public StudyDefinition? Definition { get; }

    /// <summary>Signalled when the study stops or the lease is lost.</summary>
    public CancellationToken Cancelled { get; }

    /// <summary>
    /// Records <paramref name="value"/> (a score, higher is better) after <paramref name="epoch"/> (from 1); true when the
    /// study's pruner says stop: return <see cref="TrialResult.Pruned"/> then.
    /// </summary>
    public bool Report(int epoch, double value) => report(epoch, value);
}

/// <summary>What a stored trial's detail holds besides its state and score: the spread over folds, the message, the worker, when it ran.</summary>
public sealed record TrialDetail(double? Std, IReadOnlyList<double>? FoldScores, string? Message, int? EpochsRun, DateTimeOffset? Started, DateTimeOffset? Finished)
{
    /// <summary>Seconds between start and finish, when both are known.</summary>
    public double? Seconds => Started is { } s && Finished is { } f ? (f - s).TotalSeconds : null;

    internal string ToJson()
    {
        var o = new JsonObject();
        if (Std is { } std) o["std"] = std;
        if (FoldScores is { } folds) o["folds"] = new JsonArray([.. folds.Select(f => (JsonNode)f)]);
        if (Message is not null) o["message"] = Message;
        if (EpochsRun is { } e) o["epochs"] = e;
        if (Started is { } s) o["started"] = s.ToString("O", CultureInfo.InvariantCulture);
        if (Finished is { } f) o["finished"] = f.ToString("O", CultureInfo.InvariantCulture);
        return o.ToJsonString();
    }

    /// <summary>Reads a stored detail; text that is not this JSON (another writer's) becomes the message.</summary>
    public static TrialDetail Parse(string? detail)
    {
        if (string.IsNullOrEmpty(detail)) return new(null, null, null, null, null, null);
        JsonObject? o;
        try { o = JsonNode.Parse(detail) as JsonObject; }
        catch (System.Text.Json.JsonException) { o = null; }
        if (o is null) return new(null, null, detail, null, null, null);
        return new((double?)o["std"], o["folds"]?.AsArray().Select(f => (double)f!).ToArray(), (string?)o["message"], (int?)o["epochs"],
            Time(o["started"]), Time(o["finished"]));
    }

    private static DateTimeOffset? Time(JsonNode? node) => node is null ? null : DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture);
}
