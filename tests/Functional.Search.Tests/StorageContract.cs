// The study-storage contract, written once and run against each store (SQLite, PostgreSQL): studies, stages, leases, exactly-once results, resume.
using Functional.Search.Storage;
using Functional.Search.Worker;
using Xunit.Abstractions;

namespace Functional.Search.Tests;

/// <summary>The storage tests share one collection: their lease timings and worker processes should not compete with each other for 2 cores.</summary>
[CollectionDefinition("Storage", DisableParallelization = true)]
public sealed class StorageCollection;

/// <summary>Every store passes these. A subclass says how to open (and reopen) its store and how to reach behind the API.</summary>
public abstract class StorageContract(ITestOutputHelper output)
{
    /// <summary>The output of the running test.</summary>
    protected ITestOutputHelper Output { get; } = output;

    /// <summary>A new connection to the same store every time it is called (as another worker process would open it).</summary>
    protected abstract IStudyStorage OpenStore();

    /// <summary>Sets the store's schema_version row behind the API, to test that a newer schema is refused.</summary>
    protected abstract void SetSchemaVersion(int version);

    /// <summary>False when this store cannot be tested here (PostgreSQL without a server): then each test checks the store's error instead.</summary>
    protected virtual bool Available => true;

    /// <summary>What a test checks when <see cref="Available"/> is false.</summary>
    protected virtual void CheckUnavailable() { }

    /// <summary>A study name no other test (or earlier run on a shared server) uses.</summary>
    protected static string Fresh(string what) => $"{what}-{Guid.NewGuid():N}";

    private bool Skipped()
    {
        if (Available) return false;
        CheckUnavailable();
        return true;
    }

    [Fact]
    public void A_study_is_created_once_and_reopened_by_name_with_the_same_definition()
    {
        if (Skipped()) return;
        string name = Fresh("open");
        using var store = OpenStore();
        long id = store.OpenStudy(name, """{"space":{"lr":"1e-4..1"},"stages":3}""");
        using var other = OpenStore();
        // The same definition written differently (spacing, key order) is the same study.
        Assert.Equal(id, other.OpenStudy(name, """{ "stages": 3, "space": { "lr": "1e-4..1" } }"""));
        Assert.NotEqual(id, other.OpenStudy(Fresh("other"), "{}"));
        Assert.Empty(store.Trials(id));
    }

    [Fact]
    public void A_study_name_taken_with_another_space_is_refused_naming_the_difference()
    {
        if (Skipped()) return;
        string name = Fresh("mismatch");
        using var store = OpenStore();
        store.OpenStudy(name, """{"space":{"lr":"1e-3..1"},"stages":3}""");
        var e = Assert.Throws<StudyMismatchException>(() => store.OpenStudy(name, """{"space":{"lr":"1e-4..1"},"stages":3}"""));
        Assert.Equal($"study \"{name}\" exists with another definition (space: {{\"lr\":\"1e-4..1\"}} now, {{\"lr\":\"1e-3..1\"}} stored); use another --study name or the same space", e.Message);
    }

    [Fact]
    public void Of_concurrent_callers_adding_a_stage_exactly_one_wins_and_trials_are_numbered_on()
    {
        if (Skipped()) return;
        string name = Fresh("stage");
        long id;
        using (var store = OpenStore()) id = store.OpenStudy(name, "{}");
        for (int stage = 0; stage < 2; stage++)
        {
            var stores = Enumerable.Range(0, 6).Select(_ => OpenStore()).ToArray();
            using var start = new Barrier(stores.Length);
            var wins = stores.AsParallel().WithDegreeOfParallelism(stores.Length).Select((s, i) =>
            {
                start.SignalAndWait();
                return s.AddStage(id, stage, $$"""{"stage":{{stage}},"by":{{i}}}""", Enumerable.Range(0, 5).Select(FakeTrials.Parameters).ToArray());
            }).ToArray();
            foreach (var s in stores) s.Dispose();
            Assert.Single(wins, w => w);
        }
        using var check = OpenStore();
        var trials = check.Trials(id);
        Assert.Equal(Enumerable.Range(0, 10).Select(n => (long)n), trials.Select(t => t.Number));
        Assert.Equal([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], trials.Select(t => t.Stage));
        Assert.All(trials, t => Assert.Equal((TrialState.Waiting, 0), (t.State, t.Attempts)));
        Assert.StartsWith("""{"stage":1,""", check.StageDefinition(id, 1));
        Assert.Null(check.StageDefinition(id, 2));
    }

    [Fact]
    public void Leases_go_lowest_number_first_each_trial_to_one_worker()
    {
        if (Skipped()) return;
        using var store = OpenStore();
        long id = store.OpenStudy(Fresh("lease"), "{}");
        store.AddStage(id, 0, "{}", Enumerable.Range(0, 12).Select(FakeTrials.Parameters).ToArray());
        var first = store.TryLease(id, "w0", TimeSpan.FromMinutes(1))!;
        Assert.Equal((0L, TrialState.Running, "w0", 1), (first.Trial.Number, first.Trial.State, first.Trial.Worker, first.Trial.Attempts));
        Assert.Equal(FakeTrials.Parameters(0), first.Trial.ParametersJson);
        Assert.InRange(first.Expires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(70));

        // Four workers, each with its own connection, race for the other eleven: no trial goes to two of them.
        var stores = Enumerable.Range(0, 4).Select(_ => OpenStore()).ToArray();
        var leased = stores.AsParallel().WithDegreeOfParallelism(4).SelectMany((s, w) =>
        {
            var mine = new List<long>();
            while (s.TryLease(id, $"w{w + 1}", TimeSpan.FromMinutes(1)) is { } l) mine.Add(l.Trial.Number);
            return mine;
        }).ToList();
        foreach (var s in stores) s.Dispose();
        Assert.Equal(Enumerable.Range(1, 11).Select(n => (long)n), leased.Order());
        Assert.Null(store.TryLease(id, "late", TimeSpan.FromMinutes(1)));
        Assert.All(store.Trials(id), t => Assert.Equal((TrialState.Running, 1), (t.State, t.Attempts)));
    }

    [Fact]
    public void An_expired_lease_is_leased_again_and_its_first_holder_can_no_longer_record()
    {
        if (Skipped()) return;
        using var store = OpenStore();
        long id = store.OpenStudy(Fresh("expire"), "{}");
        store.AddStage(id, 0, "{}", [FakeTrials.Parameters(3), FakeTrials.Parameters(4)]);
        var dead = store.TryLease(id, "dead", TimeSpan.FromMilliseconds(300))!;
        Assert.True(store.ReportIntermediate(dead, 1, 0.25));
        // Not yet expired: the next worker gets the next trial, not this one.
        var other = store.TryLease(id, "other", TimeSpan.FromMinutes(1))!;
        Assert.Equal(1, other.Trial.Number);
        Thread.Sleep(700);

        var rerun = store.TryLease(id, "rerun", TimeSpan.FromMinutes(1))!;
        Assert.Equal((0L, 2, "rerun"), (rerun.Trial.Number, rerun.Trial.Attempts, rerun.Trial.Worker));
        Assert.NotEqual(dead.Token, rerun.Token);
        // The first attempt's learning curve went with it.
        Assert.Empty(store.IntermediateValues(id, 0, 1));
        // The presumed-dead worker comes back: nothing it sends is written.
        Assert.False(store.Renew(dead, TimeSpan.FromMinutes(1)));
        Assert.False(store.ReportIntermediate(dead, 1, 0.5));
        Assert.False(store.Complete(dead, TrialState.Complete, 0.5, null));
        Assert.True(store.Complete(rerun, TrialState.Complete, 0.75, null));
        Assert.False(store.Complete(dead, TrialState.Complete, 0.5, null));
        var trial = store.Trials(id)[0];
        Assert.Equal((TrialState.Complete, (double?)0.75, "rerun", 2), (trial.State, trial.Score, trial.Worker, trial.Attempts));
        Assert.Empty(store.IntermediateValues(id, 0, 1));
    }

    [Fact]
    public void A_renewed_lease_outlives_its_first_expiry()
    {
        if (Skipped()) return;
        using var store = OpenStore();
        long id = store.OpenStudy(Fresh("renew"), "{}");
        store.AddStage(id, 0, "{}", [FakeTrials.Parameters(1), FakeTrials.Parameters(2)]);
        var lease = store.TryLease(id, "slow", TimeSpan.FromMilliseconds(400))!;
        Assert.True(store.Renew(lease, TimeSpan.FromMinutes(1)));
        Thread.Sleep(700);
        Assert.Equal(1, store.TryLease(id, "other", TimeSpan.FromMinutes(1))!.Trial.Number);
        Assert.Null(store.TryLease(id, "third", TimeSpan.FromMinutes(1)));
        Assert.True(store.Complete(lease, TrialState.Complete, 1, null));
    }

    [Fact]
    public void A_result_is_recorded_exactly_once_even_when_sent_many_times_at_once()
    {
        if (Skipped()) return;
        using var store = OpenStore();
        long id = store.OpenStudy(Fresh("once"), "{}");
        store.AddStage(id, 0, "{}", [FakeTrials.Parameters(1), FakeTrials.Parameters(2), FakeTrials.Parameters(3)]);
        var lease = store.TryLease(id, "w", TimeSpan.FromMinutes(1))!;
        var stores = Enumerable.Range(0, 6).Select(_ => OpenStore()).ToArray();
        var recorded = stores.AsParallel().WithDegreeOfParallelism(6).Select((s, i) => s.Complete(lease, TrialState.Complete, i, $"from {i}")).ToArray();
        foreach (var s in stores) s.Dispose();
        int winner = Array.IndexOf(recorded, true);
        Assert.Single(recorded, r => r);
        var trial = store.Trials(id)[0];
        Assert.Equal((TrialState.Complete, (double?)winner, $"from {winner}"), (trial.State, trial.Score, trial.Detail));

        // Pruned and failed are ends too; a NaN score is stored as none; a trial cannot be "completed" as waiting or running.
        var pruned = store.TryLease(id, "w", TimeSpan.FromMinutes(1))!;
        Assert.True(store.Complete(pruned, TrialState.Pruned, 0.1, "pruned at epoch 2"));
        var failed = store.TryLease(id, "w", TimeSpan.FromMinutes(1))!;
        Assert.Throws<ArgumentException>(() => store.Complete(failed, TrialState.Running, 1, null));
        Assert.True(store.Complete(failed, TrialState.Failed, double.NaN, "loss became NaN"));
        Assert.False(store.Complete(failed, TrialState.Complete, 1, null));
        var trials = store.Trials(id);
        Assert.Equal((TrialState.Pruned, (double?)0.1, "pruned at epoch 2"), (trials[1].State, trials[1].Score, trials[1].Detail));
        Assert.Equal((TrialState.Failed, (double?)null, "loss became NaN"), (trials[2].State, trials[2].Score, trials[2].Detail));
    }

    [Fact]
    public void Intermediate_values_are_kept_per_stage_and_epoch_for_the_pruner()
    {
        if (Skipped()) return;
        using var store = OpenStore();
        long id = store.OpenStudy(Fresh("intermediate"), "{}");
        store.AddStage(id, 0, "{}", [FakeTrials.Parameters(1), FakeTrials.Parameters(2), FakeTrials.Parameters(3)]);
        store.AddStage(id, 1, "{}", [FakeTrials.Parameters(4)]);
        var leases = Enumerable.Range(0, 4).Select(_ => store.TryLease(id, "w", TimeSpan.FromMinutes(1))!).ToArray();
        for (int i = 0; i < 4; i++)
            for (int epoch = 1; epoch <= (i == 1 ? 1 : 3); epoch++)
                Assert.True(store.ReportIntermediate(leases[i], epoch, i + epoch / 10.0));
        // Reported twice, the later value stands.
        Assert.True(store.ReportIntermediate(leases[0], 2, 0.25));
        Assert.Equal([0.1, 1.1, 2.1], store.IntermediateValues(id, 0, 1));
        Assert.Equal([0.25, 2.2], store.IntermediateValues(id, 0, 2));
        Assert.Equal([3.3], store.IntermediateValues(id, 1, 3));
        Assert.Empty(store.IntermediateValues(id, 0, 4));
        Assert.True(store.Complete(leases[2], TrialState.Complete, 1, null));
        Assert.False(store.ReportIntermediate(leases[2], 4, 9));
    }

    [Fact]
    public void A_stopped_study_resumes_where_it_was_after_reopening()
    {
        if (Skipped()) return;
        string name = Fresh("resume");
        long id;
        Guid running;
        using (var store = OpenStore())
        {
            id = store.OpenStudy(name, """{"stages":2}""");
            Assert.True(store.AddStage(id, 0, """{"n":5}""", Enumerable.Range(0, 5).Select(FakeTrials.Parameters).ToArray()));
            for (int i = 0; i < 2; i++)
            {
                var l = store.TryLease(id, "before", TimeSpan.FromMinutes(1))!;
                Assert.True(store.Complete(l, TrialState.Complete, FakeTrials.Score(l.Trial.ParametersJson), null));
            }
            // Stopped mid-trial: this one stays leased until its lease runs out.
            running = store.TryLease(id, "before", TimeSpan.FromMilliseconds(500))!.Token;
        }
        using var again = OpenStore();
        Assert.Equal(id, again.OpenStudy(name, """{"stages":2}"""));
        Assert.False(again.AddStage(id, 0, """{"n":5}""", ["{}"]));
        Assert.Equal("""{"n":5}""", again.StageDefinition(id, 0));
        var trials = again.Trials(id);
        Assert.Equal(5, trials.Count);
        Assert.Equal([TrialState.Complete, TrialState.Complete, TrialState.Running, TrialState.Waiting, TrialState.Waiting], trials.Select(t => t.State));
        Assert.Equal([1.0, 0.5], trials.Take(2).Select(t => t.Score!.Value));
        Assert.Equal(3, again.TryLease(id, "after", TimeSpan.FromMinutes(1))!.Trial.Number);
        Thread.Sleep(900);
        var rerun = again.TryLease(id, "after", TimeSpan.FromMinutes(1))!;
        Assert.Equal((2L, 2), (rerun.Trial.Number, rerun.Trial.Attempts));
        Assert.NotEqual(running, rerun.Token);
    }

    [Fact]
    public void A_store_with_a_newer_schema_is_refused_with_one_clear_line()
    {
        if (Skipped()) return;
        using (OpenStore()) { }
        SetSchemaVersion(99);
        try
        {
            var e = Assert.Throws<StudyStorageException>(() => OpenStore().Dispose());
            Output.WriteLine(e.Message);
            Assert.Contains("schema version 99, newer than the 1 this Functional understands", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            SetSchemaVersion(1);
        }
    }
}
