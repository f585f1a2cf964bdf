// What the SQLite and PostgreSQL stores share: the schema version, how states are spelled in the database, and the checks on a result.
namespace Functional.Search.Storage;

internal static class StoredTrial
{
    /// <summary>The schema this code writes; a store with a higher one was made by a newer Functional and is refused.</summary>
    public const int SchemaVersion = 1;

    public static string Name(TrialState state) => state switch
    {
        TrialState.Waiting => "waiting",
        TrialState.Running => "running",
        TrialState.Complete => "complete",
        TrialState.Pruned => "pruned",
        TrialState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static TrialState Parse(string name) => name switch
    {
        "waiting" => TrialState.Waiting,
        "running" => TrialState.Running,
        "complete" => TrialState.Complete,
        "pruned" => TrialState.Pruned,
        "failed" => TrialState.Failed,
        _ => throw new InvalidDataException($"unknown trial state \"{name}\" in the study store"),
    };

    /// <summary>Only an end may be recorded; NaN becomes no score (SQLite cannot hold NaN, and both stores must agree).</summary>
    public static double? CheckEnd(TrialState state, double? score)
    {
        if (state is TrialState.Waiting or TrialState.Running)
            throw new ArgumentException($"a trial ends complete, pruned or failed, not {Name(state)}", nameof(state));
        return score is { } s && double.IsNaN(s) ? null : score;
    }

    /// <summary>The columns <see cref="ReadAll"/> reads, in its order.</summary>
    public const string Columns = "number, stage, parameters, state, score, detail, worker, attempts";

    /// <summary>Every row of a query that selected <see cref="Columns"/>.</summary>
    public static List<TrialRecord> ReadAll(System.Data.Common.DbDataReader r)
    {
        var trials = new List<TrialRecord>();
        while (r.Read())
            trials.Add(new TrialRecord(r.GetInt64(0), r.GetInt32(1), r.GetString(2), Parse(r.GetString(3)),
                r.IsDBNull(4) ? null : r.GetDouble(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetInt32(7)));
        return trials;
    }

    public static string Newer(string store, int found) =>
        $"{store} holds a study store of schema version {found}, newer than the {SchemaVersion} this Functional understands: open it with a newer Functional, or use another store";

    /// <summary>A UTC time as stored for people reading the database (lease decisions use numbers or the server's clock).</summary>
    public static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
