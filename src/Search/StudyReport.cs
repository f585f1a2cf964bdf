// A study's results: every trial with its stage, state, score ± std and hyperparameters, sorted by score, as a console table and CSV, with the best trial and the edge warnings.
using System.Globalization;
using System.Text;
using Functional.Search.Storage;

namespace Functional.Search;

/// <summary>One trial in the results.</summary>
/// <param name="Number">Its number in the study.</param>
/// <param name="Stage">The stage it ran in.</param>
/// <param name="Parameters">Its hyperparameters.</param>
/// <param name="State">How it ended (or that it has not yet).</param>
/// <param name="Score">Its score (higher is better); for a pruned trial the last value it reported.</param>
/// <param name="Detail">Spread over folds, message, epochs run, when it ran.</param>
/// <param name="Worker">The worker that ran it last.</param>
public sealed record TrialSummary(long Number, ResolvedStage Stage, ParameterSet Parameters, TrialState State, double? Score, TrialDetail Detail, string? Worker);

/// <summary>
/// The results of a study, read from its storage: <see cref="Ranked"/> puts complete trials first, best score first,
/// then pruned ones by score, then failures; <see cref="Table"/> and <see cref="ToCsv"/> list every hyperparameter.
/// </summary>
public sealed class StudyReport
{
    private StudyReport(string name, StudyDefinition definition, IReadOnlyList<ResolvedStage> stages, IReadOnlyList<TrialSummary> trials) =>
        (Name, Definition, Stages, Trials) = (name, definition, stages, trials);

    /// <summary>The study's name.</summary>
    public string Name { get; }

    /// <summary>Its definition.</summary>
    public StudyDefinition Definition { get; }

    /// <summary>The stages added so far, with the ranges each searched.</summary>
    public IReadOnlyList<ResolvedStage> Stages { get; }

    /// <summary>Every trial, by number.</summary>
    public IReadOnlyList<TrialSummary> Trials { get; }

    /// <summary>Complete trials by score (best first), then pruned ones by score, then the rest.</summary>
    public IReadOnlyList<TrialSummary> Ranked =>
    [
        .. Trials.OrderBy(t => t.State switch { TrialState.Complete => 0, TrialState.Pruned => 1, TrialState.Failed => 2, _ => 3 })
            .ThenByDescending(t => t.Score ?? double.NegativeInfinity).ThenBy(t => t.Number),
    ];

    /// <summary>The best complete trial of the study, or null when none has completed.</summary>
    public TrialSummary? Best => Ranked.FirstOrDefault(t => t.State == TrialState.Complete && t.Score is not null);

    /// <summary>The best complete trial of stage <paramref name="stage"/>.</summary>
    public TrialSummary? BestOf(int stage) => Ranked.FirstOrDefault(t => t.Stage.Index == stage && t.State == TrialState.Complete && t.Score is not null);

    /// <summary>The edge warnings of each stage's best trial within the ranges that stage searched.</summary>
    public IReadOnlyList<(ResolvedStage Stage, EdgeWarning Warning)> EdgeWarnings =>
    [
        .. Stages.SelectMany(s => BestOf(s.Index) is { } best ? EdgeWarning.For(s.Space, best.Parameters).Select(w => (s, w)) : []),
    ];

    /// <summary>The hyperparameters' names, in the space's order.</summary>
    public IReadOnlyList<string> ParameterNames => [.. Definition.Space.Dimensions.Select(d => d.Name)];

    /// <summary>Reads the study's trials from <paramref name="storage"/>; <paramref name="stages"/> when known, else read from it too.</summary>
    internal static StudyReport Load(IStudyStorage storage, long study, string name, StudyDefinition definition, IReadOnlyList<ResolvedStage>? stages)
    {
        var resolved = stages?.ToList() ?? [];
        for (int s = resolved.Count; s < definition.Stages.Count && storage.StageDefinition(study, s) is { } json; s++) resolved.Add(ResolvedStage.FromJson(json));
        var byIndex = resolved.ToDictionary(s => s.Index);
        var trials = storage.Trials(study).Where(t => byIndex.ContainsKey(t.Stage))
            .Select(t => new TrialSummary(t.Number, byIndex[t.Stage], ParameterSet.FromJson(t.ParametersJson), t.State, t.Score, TrialDetail.Parse(t.Detail), t.Worker))
            .ToArray();
        return new StudyReport(name, definition, resolved, trials);
    }

    /// <summary>
    /// The results as a fixed-width table, best first: rank, trial, stage, state, score (± std over folds), each
    /// hyperparameter, epochs run, seconds, and why a trial stopped. <paramref name="limit"/> rows at most (0: all).
    /// </summary>
    public string Table(int limit = 0)
    {
        var names = ParameterNames;
        var header = new List<string> { "#", "trial", "stage", "state", "score" };
        header.AddRange(names);
        header.AddRange(["epochs", "seconds", "note"]);
        var rows = Ranked.Take(limit > 0 ? limit : int.MaxValue).Select((t, i) =>
        {
            var row = new List<string>
            {
                (i + 1).ToString(CultureInfo.InvariantCulture), t.Number.ToString(CultureInfo.InvariantCulture), t.Stage.Stage.Name,
                t.State.ToString().ToLowerInvariant(), ScoreText(t),
            };
            row.AddRange(names.Select(n => t.Parameters.Contains(n) ? Short(t.Parameters.Values.First(v => v.Key == n).Value) : ""));
            row.AddRange([t.Detail.EpochsRun?.ToString(CultureInfo.InvariantCulture) ?? "", t.Detail.Seconds is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) : "", t.Detail.Message ?? ""]);
            return row;
        }).ToList();
        int[] widths = [.. header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max())];
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            text.AppendLine(string.Join("  ", cells.Select((v, c) => c is 2 or 3 || c == header.Count - 1 ? v.PadRight(widths[c]) : v.PadLeft(widths[c]))).TrimEnd());
        Line(header);
        foreach (var row in rows) Line(row);
        return text.ToString();
    }

    /// <summary>
    /// The results as CSV (RFC 4180, invariant culture, numbers round-trip exact), best first: trial, stage, state,
    /// score, std, each hyperparameter, epochs run, started, finished, seconds, worker, message.
    /// </summary>
    public string ToCsv()
    {
        var names = ParameterNames;
        var text = new StringBuilder();
        text.AppendLine(string.Join(",", new[] { "trial", "stage", "state", "score", "std" }.Concat(names).Concat(["epochs", "started", "finished", "seconds", "worker", "message"]).Select(Quote)));
        foreach (var t in Ranked)
        {
            var cells = new List<string>
            {
                t.Number.ToString(CultureInfo.InvariantCulture), t.Stage.Stage.Name, t.State.ToString().ToLowerInvariant(), Number(t.Score), Number(t.Detail.Std),
            };
            cells.AddRange(names.Select(n => t.Parameters.Contains(n) ? Dimension.Format(t.Parameters.Values.First(v => v.Key == n).Value) : ""));
            cells.AddRange([
                t.Detail.EpochsRun?.ToString(CultureInfo.InvariantCulture) ?? "", t.Detail.Started?.ToString("O", CultureInfo.InvariantCulture) ?? "",
                t.Detail.Finished?.ToString("O", CultureInfo.InvariantCulture) ?? "", Number(t.Detail.Seconds), t.Worker ?? "", t.Detail.Message ?? "",
            ]);
            text.AppendLine(string.Join(",", cells.Select(Quote)));
        }
        return text.ToString();
    }

    private static string ScoreText(TrialSummary t) => t.Score is not { } s ? "–"
        : t.Detail.FoldScores is { Count: > 1 } ? string.Create(CultureInfo.InvariantCulture, $"{s:F4} ± {t.Detail.Std:F4}") : s.ToString("F4", CultureInfo.InvariantCulture);

    private static string Short(object value) => value is double d ? d.ToString("G4", CultureInfo.InvariantCulture) : value.ToString() ?? "";

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string Quote(string cell) => cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
