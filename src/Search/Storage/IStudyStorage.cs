// The contract between a search and where its study lives (SQLite, PostgreSQL, memory): trials leased to workers, each result recorded exactly once.
namespace Functional.Search.Storage;

/// <summary>Where a trial is in its life.</summary>
public enum TrialState
{
    /// <summary>Not yet claimed (or its worker's lease ran out, so it will be run again).</summary>
    Waiting,
    /// <summary>Leased to a worker until its lease expires.</summary>
    Running,
    /// <summary>Finished with a score.</summary>
    Complete,
    /// <summary>Stopped early by a pruner (a score may be recorded: the last intermediate value).</summary>
    Pruned,
    /// <summary>Stopped by the early kill (non-finite loss, or above 3× its initial loss) or an error.</summary>
    Failed,
}

/// <summary>
/// One trial as stored: its number in the study (from 0, over all stages), its stage, its parameters as JSON (the
/// search core's format; the store keeps them as text), its state, score and the detail of a failure.
/// </summary>
public sealed record TrialRecord(long Number, int Stage, string ParametersJson, TrialState State, double? Score, string? Detail, string? Worker, int Attempts);

/// <summary>A trial claimed by a worker: its record and the token its result must carry; valid until <see cref="Expires"/> unless renewed.</summary>
public sealed record Lease(long Study, TrialRecord Trial, Guid Token, DateTimeOffset Expires);

/// <summary>
/// A study's persistent home. Every method is safe to call from many processes (and, for PostgreSQL, many machines)
/// at once: each trial is leased to one worker at a time, a trial whose worker died is leased again once its lease
/// has expired, and <see cref="Complete"/> records a result exactly once. Connection strings and passwords never
/// appear in what it returns or throws.
/// </summary>
public interface IStudyStorage : IDisposable
{
    /// <summary>
    /// Opens the study called <paramref name="name"/>, creating it with <paramref name="definitionJson"/> (its search space
    /// and stages) if it does not exist; returns its id. Throws <see cref="StudyMismatchException"/> when a study of
    /// that name exists with another definition.
    /// </summary>
    long OpenStudy(string name, string definitionJson);

    /// <summary>The study called <paramref name="name"/>: its id and definition, or null when there is none (how a worker that was given only the name joins).</summary>
    (long Id, string DefinitionJson)? FindStudy(string name);

    /// <summary>
    /// Adds stage <paramref name="stage"/> with its trials' parameters (numbered after the study's last trial) unless
    /// that stage exists already; true when this call added it. Exactly one of several concurrent callers wins.
    /// </summary>
    bool AddStage(long study, int stage, string stageJson, IReadOnlyList<string> trialParametersJson);

    /// <summary>The definition stage <paramref name="stage"/> was added with, or null before it is added.</summary>
    string? StageDefinition(long study, int stage);

    /// <summary>
    /// Claims the lowest-numbered trial that is waiting, or running with an expired lease (its worker is presumed dead,
    /// and the trial is re-run); null when there is none right now.
    /// </summary>
    Lease? TryLease(long study, string worker, TimeSpan duration);

    /// <summary>Extends <paramref name="lease"/>; false when it was lost (expired and claimed by another worker, or finished).</summary>
    bool Renew(Lease lease, TimeSpan duration);

    /// <summary>Records an intermediate value (e.g. validation accuracy after epoch <paramref name="epoch"/>) for pruners; false when the lease was lost.</summary>
    bool ReportIntermediate(Lease lease, int epoch, double value);

    /// <summary>The intermediate values at <paramref name="epoch"/> of every trial of stage <paramref name="stage"/> that reported one.</summary>
    IReadOnlyList<double> IntermediateValues(long study, int stage, int epoch);

    /// <summary>
    /// Records the trial's end exactly once: false, with nothing written, when the lease was lost or the trial already
    /// has a result (a worker that was presumed dead and comes back cannot record twice).
    /// </summary>
    bool Complete(Lease lease, TrialState state, double? score, string? detail);

    /// <summary>Every trial of the study, by number.</summary>
    IReadOnlyList<TrialRecord> Trials(long study);
}

/// <summary>A study name already taken by a study with another definition (space or stages).</summary>
public sealed class StudyMismatchException(string study, string difference)
    : InvalidOperationException($"study \"{study}\" exists with another definition ({difference}); use another --study name or the same space");
