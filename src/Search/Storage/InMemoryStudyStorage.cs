// The study storage in memory, behind one lock: for tests and a search in one process (its workers are threads), with the same lease and exactly-once rules as the databases.
namespace Functional.Search.Storage;

/// <summary>
/// <see cref="IStudyStorage"/> in memory: safe for many threads of one process, gone when it ends. Time comes from
/// <see cref="TimeProvider"/> so tests can let leases expire without waiting.
/// </summary>
public sealed class InMemoryStudyStorage(TimeProvider? time = null) : IStudyStorage
{
    private readonly object gate = new();
    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly List<StudyData> studies = [];

    private sealed class StudyData(string name, string definition)
    {
        public string Name { get; } = name;
        public string Definition { get; } = definition;
        public Dictionary<int, string> Stages { get; } = [];
        public List<TrialData> Trials { get; } = [];
    }

    private sealed class TrialData(TrialRecord record)
    {
        public TrialRecord Record { get; set; } = record;
        public Guid Token { get; set; }
        public DateTimeOffset Expires { get; set; }
        public Dictionary<int, double> Intermediate { get; } = [];
    }

    /// <inheritdoc />
    public long OpenStudy(string name, string definitionJson)
    {
        lock (gate)
        {
            int at = studies.FindIndex(s => s.Name == name);
            if (at >= 0)
                return studies[at].Definition == definitionJson ? at + 1 : throw new StudyMismatchException(name, Difference(studies[at].Definition, definitionJson));
            studies.Add(new StudyData(name, definitionJson));
            return studies.Count;
        }
    }

    /// <inheritdoc />
    public (long Id, string DefinitionJson)? FindStudy(string name)
    {
        lock (gate)
        {
            int at = studies.FindIndex(s => s.Name == name);
            return at < 0 ? null : (at + 1, studies[at].Definition);
        }
    }

    /// <inheritdoc />
    public bool AddStage(long study, int stage, string stageJson, IReadOnlyList<string> trialParametersJson)
    {
        lock (gate)
        {
            var s = Study(study);
            if (!s.Stages.TryAdd(stage, stageJson)) return false;
            long next = s.Trials.Count;
            foreach (var parameters in trialParametersJson)
                s.Trials.Add(new TrialData(new TrialRecord(next++, stage, parameters, TrialState.Waiting, null, null, null, 0)));
            return true;
        }
    }

    /// <inheritdoc />
    public string? StageDefinition(long study, int stage)
    {
        lock (gate) return Study(study).Stages.GetValueOrDefault(stage);
    }

    /// <inheritdoc />
    public Lease? TryLease(long study, string worker, TimeSpan duration)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            var trial = Study(study).Trials.FirstOrDefault(t => t.Record.State == TrialState.Waiting || t.Record.State == TrialState.Running && t.Expires <= now);
            if (trial is null) return null;
            trial.Token = Guid.NewGuid();
            trial.Expires = now + duration;
            // A re-run starts afresh: the dead worker's intermediate values would mislead the pruners.
            trial.Intermediate.Clear();
            trial.Record = trial.Record with { State = TrialState.Running, Worker = worker, Attempts = trial.Record.Attempts + 1 };
            return new Lease(study, trial.Record, trial.Token, trial.Expires);
        }
    }

    /// <inheritdoc />
    public bool Renew(Lease lease, TimeSpan duration)
    {
        lock (gate)
        {
            if (Held(lease) is not { } trial) return false;
            trial.Expires = clock.GetUtcNow() + duration;
            return true;
        }
    }

    /// <inheritdoc />
    public bool ReportIntermediate(Lease lease, int epoch, double value)
    {
        lock (gate)
        {
            if (Held(lease) is not { } trial) return false;
            trial.Intermediate[epoch] = value;
            return true;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<double> IntermediateValues(long study, int stage, int epoch)
    {
        lock (gate)
            return [.. Study(study).Trials.Where(t => t.Record.Stage == stage && t.Intermediate.ContainsKey(epoch)).Select(t => t.Intermediate[epoch])];
    }

    /// <inheritdoc />
    public bool Complete(Lease lease, TrialState state, double? score, string? detail)
    {
        if (state is TrialState.Waiting or TrialState.Running) throw new ArgumentException($"a trial ends Complete, Pruned or Failed, not {state}", nameof(state));
        lock (gate)
        {
            if (Held(lease) is not { } trial) return false;
            trial.Record = trial.Record with { State = state, Score = score, Detail = detail };
            return true;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<TrialRecord> Trials(long study)
    {
        lock (gate) return [.. Study(study).Trials.Select(t => t.Record)];
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }

    /// <summary>
    /// The trial the lease is for, if the lease still holds it: the same token and still running. An expired lease that
    /// no one has claimed since still holds (the contract: lost means expired and claimed by another, or finished).
    /// </summary>
    private TrialData? Held(Lease lease)
    {
        var s = Study(lease.Study);
        if (lease.Trial.Number < 0 || lease.Trial.Number >= s.Trials.Count) return null;
        var trial = s.Trials[(int)lease.Trial.Number];
        return trial.Token == lease.Token && trial.Record.State == TrialState.Running ? trial : null;
    }

    private StudyData Study(long id) =>
        id >= 1 && id <= studies.Count ? studies[(int)id - 1] : throw new KeyNotFoundException($"no study with id {id} in this in-memory storage");

    /// <summary>Where two definitions first differ, briefly, so the error says what changed.</summary>
    private static string Difference(string stored, string now)
    {
        int i = 0;
        while (i < stored.Length && i < now.Length && stored[i] == now[i]) i++;
        static string Around(string s, int i) => s.Substring(Math.Max(0, i - 20), Math.Min(s.Length, i + 40) - Math.Max(0, i - 20));
        return $"stored …{Around(stored, i)}…, now …{Around(now, i)}…";
    }
}
