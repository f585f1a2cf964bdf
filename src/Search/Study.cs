// The search driver: a coordinator adds each stage (narrowed from the last) once the last is finished, and workers lease trials, run them with their lease renewed, and record each result once.
using Functional.Kernels;
using Functional.Search.Storage;
using Functional.Training;

namespace Functional.Search;

/// <summary>
/// How a study runs here: how many trials at once in this process (<see cref="Workers"/>, default one per core; 0 to
/// leave the trials to workers elsewhere), with how many kernel threads each, the worker's name, the lease and how
/// often it polls, where progress goes, and a token that stops it (a stopped study resumes where it was).
/// </summary>
public sealed record StudyOptions
{
    /// <summary>Trials run at once in this process.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Kernel threads while the study runs (<see cref="Parallelism.Threads"/>); null: 1 when <see cref="Workers"/> &gt; 1 (one trial per core already fills the machine), else unchanged.</summary>
    public int? KernelThreads { get; init; }

    /// <summary>This process's name in the storage (a trial's worker is this, then its slot: <c>host:pid/2</c>).</summary>
    public string Worker { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>How long a lease lasts; renewed every third of it while the trial runs, so only a dead worker's trial is run again.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often an idle worker or the coordinator looks at the storage again.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Sees what happens: stages added, trials finished (by any worker), edge warnings.</summary>
    public Action<StudyEvent>? Progress { get; init; }

    /// <summary>Stops the study: running trials are abandoned unrecorded (their leases lapse, and a resumed study runs them again).</summary>
    public CancellationToken Cancel { get; init; }
}

/// <summary>Something that happened in a study, for progress output; <c>ToString</c> is the line to print.</summary>
public abstract record StudyEvent;

/// <summary>A stage was added to the study (or found already added, when resuming).</summary>
public sealed record StageStarted(ResolvedStage Stage, bool Resumed) : StudyEvent
{
    /// <inheritdoc />
    public override string ToString() => $"stage {Stage.Index + 1} {Stage.Stage.Name}: {Stage.Stage.Trials} trials × {Stage.Stage.Epochs} epoch{(Stage.Stage.Epochs == 1 ? "" : "s")}, {Stage.Space}{(Resumed ? " (resumed)" : "")}";
}

/// <summary>A trial finished (seen by the coordinator, whichever worker ran it).</summary>
public sealed record TrialFinished(TrialRecord Trial, ResolvedStage Stage, int Done) : StudyEvent
{
    /// <inheritdoc />
    public override string ToString()
    {
        var detail = TrialDetail.Parse(Trial.Detail);
        string score = Trial.Score is { } s ? (detail.FoldScores is { Count: > 1 } ? $"{s:F4} ± {detail.Std:F4}" : $"{s:F4}") : "–";
        string seconds = detail.Seconds is { } t ? $" {t:F1}s" : "";
        string why = Trial.State == TrialState.Complete || detail.Message is null ? "" : $" ({detail.Message})";
        return $"  [{Stage.Stage.Name} {Done}/{Stage.Stage.Trials}] trial {Trial.Number}: {Trial.State.ToString().ToLowerInvariant()} {score}{seconds}  {ParameterSet.FromJson(Trial.ParametersJson)}{why}";
    }
}

/// <summary>The best of a stage sits at the edge of one of its ranges.</summary>
public sealed record EdgeWarned(ResolvedStage Stage, EdgeWarning Warning) : StudyEvent
{
    /// <inheritdoc />
    public override string ToString() => $"warning: stage {Stage.Stage.Name}: {Warning}";
}

/// <summary>
/// Runs studies. <see cref="Run"/> coordinates: it opens (or resumes) the study, adds each stage once the previous one's
/// trials have all finished (its ranges narrowed around the previous stage's best unless the stage gives them; of
/// several coordinators exactly one adds it), and runs <see cref="StudyOptions.Workers"/> trials at a time itself.
/// <see cref="Work"/> only runs trials, for worker processes on this or other machines.
/// </summary>
public static class Study
{
    /// <summary>Coordinates and runs the study <paramref name="name"/> to its end; returns its results.</summary>
    public static StudyReport Run(IStudyStorage storage, string name, StudyDefinition definition, TrialFunction trial, StudyOptions? options = null)
    {
        options ??= new StudyOptions();
        definition.Validate();
        // The study is read once: found, its stored definition is compared here (a mismatch named in the words of the
        // command line rather than as JSON); only a study not found yet is opened, where the store settles a race to create it.
        string json = definition.ToJson();
        long study;
        if (storage.FindStudy(name) is { } existing)
        {
            var stored = StudyDefinition.FromJson(existing.DefinitionJson);
            if (stored.ToJson() != json) throw new StudyMismatchException(name, Describe(definition, "now") + "; " + Describe(stored, "stored"));
            study = existing.Id;
        }
        else study = storage.OpenStudy(name, json);
        using var threads = KernelThreads(options);
        var stages = new List<ResolvedStage>();
        var seen = new HashSet<long>(storage.Trials(study).Where(t => IsFinished(t.State)).Select(t => t.Number));
        for (int s = 0; s < definition.Stages.Count; s++)
        {
            var stage = EnsureStage(storage, study, definition, s, stages.LastOrDefault(), out bool resumed);
            stages.Add(stage);
            options.Progress?.Invoke(new StageStarted(stage, resumed));
            // The in-process workers stop when this stage is finished; the next stage needs all its results to narrow.
            var wake = new Wake();
            var workers = Enumerable.Range(0, options.Workers)
                .Select(w => Task.Factory.StartNew(() => WorkLoop(storage, study, definition, trial, options, $"{options.Worker}/{w}", () => StageFinished(storage, study, s), wake),
                    TaskCreationOptions.LongRunning))
                .ToArray();
            while (!StageFinished(storage, study, s) && !options.Cancel.IsCancellationRequested)
            {
                Announce(storage, study, stages, seen, options);
                Task.WaitAny(workers.Append(Task.Delay(options.Poll, CancellationToken.None)).ToArray());
                // A worker's exception (a storage failure) ends the study rather than leaving it polling forever; thrown
                // as itself, not wrapped, so callers catch a StudyStorageException as such.
                if (workers.FirstOrDefault(w => w.IsFaulted) is { } failed) failed.GetAwaiter().GetResult();
            }
            foreach (var w in workers) w.GetAwaiter().GetResult();
            Announce(storage, study, stages, seen, options);
            if (options.Cancel.IsCancellationRequested) break;
            var report = StudyReport.Load(storage, study, name, definition, stages);
            if (report.BestOf(s) is { } best)
                foreach (var warning in EdgeWarning.For(stage.Space, best.Parameters)) options.Progress?.Invoke(new EdgeWarned(stage, warning));
        }
        options.Cancel.ThrowIfCancellationRequested();
        return StudyReport.Load(storage, study, name, definition, stages);
    }

    /// <summary>
    /// Runs trials of the study <paramref name="name"/> (which a coordinator has opened) until every stage of its
    /// definition is added and finished; the definition, stages and settings come from the storage.
    /// </summary>
    public static void Work(IStudyStorage storage, string name, TrialFunction trial, StudyOptions? options = null)
    {
        options ??= new StudyOptions();
        var found = storage.FindStudy(name) ?? throw new KeyNotFoundException($"no study \"{name}\" in this storage (start the coordinator first, or check --study)");
        var definition = StudyDefinition.FromJson(found.DefinitionJson);
        using var threads = KernelThreads(options);
        var wake = new Wake();
        var workers = Enumerable.Range(0, Math.Max(1, options.Workers))
            .Select(w => Task.Factory.StartNew(() => WorkLoop(storage, found.Id, definition, trial, options, $"{options.Worker}/{w}", () => StudyFinished(storage, found.Id, definition), wake),
                TaskCreationOptions.LongRunning))
            .ToArray();
        foreach (var w in workers) w.GetAwaiter().GetResult();
    }

    private static string Describe(StudyDefinition d, string when) =>
        $"{d.Space}, stages {string.Join(" ", d.Stages)}, seed {d.Seed}{(d.Pruner is null ? "" : $", {d.Pruner.GetType().Name}")} {when}";

    /// <summary>The study's results so far, from the storage alone (for a process that did not run it).</summary>
    public static StudyReport Results(IStudyStorage storage, string name)
    {
        var found = storage.FindStudy(name) ?? throw new KeyNotFoundException($"no study \"{name}\" in this storage");
        return StudyReport.Load(storage, found.Id, name, StudyDefinition.FromJson(found.DefinitionJson), null);
    }

    /// <summary>
    /// Stage <paramref name="index"/> as stored, or added now: its own ranges, the study's for the first stage, or the
    /// previous stage's narrowed around its best complete trials. Its trials are numbered after the study's last and
    /// sampled by number, so concurrent coordinators propose the same stage and the one that loses changes nothing.
    /// </summary>
    private static ResolvedStage EnsureStage(IStudyStorage storage, long study, StudyDefinition definition, int index, ResolvedStage? previous, out bool resumed)
    {
        if (storage.StageDefinition(study, index) is { } stored)
        {
            resumed = true;
            return ResolvedStage.FromJson(stored);
        }
        var stage = definition.Stages[index];
        var space = stage.Space ?? (previous is null ? definition.Space : definition.Narrowing.Apply(previous.Space, Scored(storage.Trials(study), previous.Index), stage.Top));
        var resolved = new ResolvedStage(index, stage, space);
        long first = storage.Trials(study).Count;
        var parameters = Enumerable.Range(0, stage.Trials).Select(i => space.Sample(definition.Seed, first + i).ToJson()).ToArray();
        resumed = !storage.AddStage(study, index, resolved.ToJson(), parameters);
        // Whoever won, the stored definition is the one the trials were drawn from.
        return ResolvedStage.FromJson(storage.StageDefinition(study, index)!);
    }

    private static List<(ParameterSet, double)> Scored(IReadOnlyList<TrialRecord> trials, int stage) =>
        [.. trials.Where(t => t.Stage == stage && t.State == TrialState.Complete && t.Score is not null).Select(t => (ParameterSet.FromJson(t.ParametersJson), t.Score!.Value))];

    private static void WorkLoop(IStudyStorage storage, long study, StudyDefinition definition, TrialFunction trial, StudyOptions options, string worker, Func<bool> done, Wake wake)
    {
        var stages = new Dictionary<int, ResolvedStage>();
        while (!options.Cancel.IsCancellationRequested)
        {
            long seen = wake.Seen;
            var lease = storage.TryLease(study, worker, options.Lease);
            if (lease is null)
            {
                if (done()) return;
                // Woken at once when a worker of this process records a trial (the last of a stage, so this one can
                // go without a poll's delay at the stage's end); trials recorded elsewhere are seen at the next poll.
                wake.Wait(seen, options.Poll, options.Cancel);
                continue;
            }
            if (!stages.TryGetValue(lease.Trial.Stage, out var stage))
                stages[lease.Trial.Stage] = stage = ResolvedStage.FromJson(storage.StageDefinition(study, lease.Trial.Stage)
                    ?? throw new InvalidOperationException($"trial {lease.Trial.Number} belongs to stage {lease.Trial.Stage}, which the storage has no definition of"));
            Execute(storage, study, definition, trial, options, lease, stage);
            wake.Pulse();
        }
    }

    /// <summary>Lets a worker that found nothing to lease sleep until another worker of the process has recorded a trial, or the poll interval has passed.</summary>
    private sealed class Wake
    {
        private readonly object gate = new();
        private long pulses;

        /// <summary>How many trials were recorded so far; taken before looking for work, so a pulse in between is not missed.</summary>
        public long Seen
        {
            get { lock (gate) return pulses; }
        }

        public void Pulse()
        {
            lock (gate)
            {
                pulses++;
                Monitor.PulseAll(gate);
            }
        }

        public void Wait(long seen, TimeSpan timeout, CancellationToken cancel)
        {
            using var stop = cancel.Register(Pulse);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            lock (gate)
                // The time left is read once per wait: read twice, it could pass 0 between the check and the wait (a negative timeout throws).
                for (var left = timeout; pulses == seen && !cancel.IsCancellationRequested && left > TimeSpan.Zero; left = timeout - clock.Elapsed)
                    Monitor.Wait(gate, left);
        }
    }

    /// <summary>Runs one leased trial with its lease renewed on a timer, and records how it ended (unless the lease was lost or the study stopped).</summary>
    private static void Execute(IStudyStorage storage, long study, StudyDefinition definition, TrialFunction trial, StudyOptions options, Lease lease, ResolvedStage stage)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(options.Cancel);
        var every = options.Lease / 3;
        using var renew = new Timer(_ =>
        {
            try { if (!storage.Renew(lease, options.Lease)) lost.Cancel(); }
            catch (ObjectDisposedException) { } // the trial ended while the timer fired
        }, null, every, every);
        var pruner = definition.Pruner;
        bool Report(int epoch, double value)
        {
            if (!storage.ReportIntermediate(lease, epoch, value))
            {
                lost.Cancel();
                return true;
            }
            return pruner is not null && pruner.ShouldPrune(epoch, value, storage.IntermediateValues(study, stage.Index, epoch));
        }
        var context = new TrialContext(lease.Trial.Number, stage, ParameterSet.FromJson(lease.Trial.ParametersJson), definition.Seed, definition, Report, lost.Token);
        var started = DateTimeOffset.UtcNow;
        TrialResult result;
        try { result = trial(context); }
        catch (OperationCanceledException) when (lost.IsCancellationRequested) { return; }
        catch (TrainingDivergedException e) { result = TrialResult.Failed($"diverged: {e.Message}"); }
        catch (Exception e) { result = TrialResult.Failed($"{e.GetType().Name}: {e.Message}"); }
        using (var stopped = new ManualResetEvent(false))
            if (renew.Dispose(stopped)) stopped.WaitOne();
        if (lost.IsCancellationRequested) return;
        var detail = new TrialDetail(result.Std, result.FoldScores, result.Message, result.EpochsRun, started, DateTimeOffset.UtcNow);
        storage.Complete(lease, result.State, result.Score, detail.ToJson());
    }

    private static void Announce(IStudyStorage storage, long study, List<ResolvedStage> stages, HashSet<long> seen, StudyOptions options)
    {
        if (options.Progress is null) return;
        var trials = storage.Trials(study);
        foreach (var t in trials.Where(t => IsFinished(t.State) && seen.Add(t.Number)))
        {
            var stage = stages.FirstOrDefault(s => s.Index == t.Stage);
            if (stage is null) continue;
            options.Progress(new TrialFinished(t, stage, trials.Count(o => o.Stage == t.Stage && IsFinished(o.State))));
        }
    }

    internal static bool IsFinished(TrialState state) => state is TrialState.Complete or TrialState.Pruned or TrialState.Failed;

    private static bool StageFinished(IStudyStorage storage, long study, int stage)
    {
        var trials = storage.Trials(study).Where(t => t.Stage == stage).ToArray();
        return trials.Length > 0 && trials.All(t => IsFinished(t.State));
    }

    private static bool StudyFinished(IStudyStorage storage, long study, StudyDefinition definition) =>
        storage.StageDefinition(study, definition.Stages.Count - 1) is not null && storage.Trials(study).All(t => IsFinished(t.State));

    /// <summary>Sets the kernel thread count for the study and puts it back afterwards.</summary>
    private static Restore KernelThreads(StudyOptions options)
    {
        int before = Parallelism.Threads;
        int? wanted = options.KernelThreads ?? (options.Workers > 1 ? 1 : null);
        if (wanted is { } n) Parallelism.Threads = n;
        return new Restore(() => Parallelism.Threads = before);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}

