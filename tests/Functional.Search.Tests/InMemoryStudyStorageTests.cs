// The in-memory store keeps the storage contract: one lease at a time, an expired lease re-leased, each result recorded once, stages added once.
using Functional.Search.Storage;

namespace Functional.Search.Tests;

public sealed class InMemoryStudyStorageTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Trials_are_leased_once_re_leased_after_expiry_and_completed_once()
    {
        var clock = new ManualClock();
        using var storage = new InMemoryStudyStorage(clock);
        long study = storage.OpenStudy("s", "{}");
        Assert.Equal(study, storage.OpenStudy("s", "{}"));
        Assert.Throws<StudyMismatchException>(() => storage.OpenStudy("s", "{\"x\":1}"));
        Assert.True(storage.AddStage(study, 0, "{\"stage\":0}", ["{\"lr\":1}", "{\"lr\":2}"]));
        Assert.False(storage.AddStage(study, 0, "{\"stage\":0}", ["{\"lr\":3}"]));
        Assert.Equal("{\"stage\":0}", storage.StageDefinition(study, 0));
        Assert.Null(storage.StageDefinition(study, 1));

        var a = storage.TryLease(study, "a", TimeSpan.FromMinutes(1))!;
        var b = storage.TryLease(study, "b", TimeSpan.FromMinutes(1))!;
        Assert.Equal((0L, 1L), (a.Trial.Number, b.Trial.Number));
        Assert.Null(storage.TryLease(study, "c", TimeSpan.FromMinutes(1)));

        // a's worker dies: once its lease has run out, c gets the trial, and a can no longer record anything.
        clock.Now += TimeSpan.FromMinutes(2);
        Assert.True(storage.ReportIntermediate(b, 1, 0.5)); // b expired too, but nobody took it: still b's
        var c = storage.TryLease(study, "c", TimeSpan.FromMinutes(1))!;
        Assert.Equal(0, c.Trial.Number);
        Assert.Equal(2, c.Trial.Attempts);
        Assert.False(storage.Renew(a, TimeSpan.FromMinutes(1)));
        Assert.False(storage.Complete(a, TrialState.Complete, 0.9, null));
        Assert.True(storage.Complete(c, TrialState.Complete, 0.8, "{}"));
        Assert.False(storage.Complete(c, TrialState.Complete, 0.7, "{}"));
        Assert.True(storage.Complete(b, TrialState.Pruned, 0.5, "{}"));

        Assert.Equal([0.5], storage.IntermediateValues(study, 0, 1));
        var trials = storage.Trials(study);
        Assert.Equal((TrialState.Complete, 0.8, "c"), (trials[0].State, trials[0].Score!.Value, trials[0].Worker));
        Assert.Equal(TrialState.Pruned, trials[1].State);
        Assert.Equal((study, "{}"), storage.FindStudy("s"));
    }

    [Fact]
    public void Concurrent_leasing_gives_each_trial_to_one_worker()
    {
        using var storage = new InMemoryStudyStorage();
        long study = storage.OpenStudy("s", "{}");
        storage.AddStage(study, 0, "{}", [.. Enumerable.Range(0, 500).Select(i => $"{{\"i\":{i}}}")]);
        var leased = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 8, w =>
        {
            while (storage.TryLease(study, $"w{w}", TimeSpan.FromMinutes(1)) is { } lease)
            {
                leased.Add(lease.Trial.Number);
                Assert.True(storage.Complete(lease, TrialState.Complete, 1, null));
            }
        });
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), leased.Order());
    }
}
