// The driver on the in-memory store: stages run in order with the next narrowed around the last's best, results are the same for any number of workers, a stopped study resumes, a worker joins by name, pruners see equal epochs.
using Functional.Search;
using Functional.Search.Storage;

namespace Functional.Search.Tests;

public sealed class StudyTests
{
    private static readonly SearchSpace Space = new(Dimension.LogUniform("lr", 1e-4, 1), Dimension.LogUniform("l2", 1e-6, 1e-1));

    /// <summary>A smooth score that peaks at lr = 1e-2 and hardly cares about l2, as validation accuracy often does.</summary>
    private static double Score(ParameterSet p) => 1 - 0.1 * Math.Pow(Math.Log10(p.Real("lr")) + 2, 2) - 0.001 * Math.Abs(Math.Log10(p.Real("l2")) + 4);

    private static TrialResult Trial(TrialContext c) => TrialResult.Scored(Score(c.Parameters), c.Epochs);

    private static StudyOptions Quick(int workers) => new() { Workers = workers, Poll = TimeSpan.FromMilliseconds(5), KernelThreads = null };

    private static StudyDefinition Definition(Pruner? pruner = null) => new(Space, [new Stage("coarse", 24, 1), new Stage("fine", 12, 3)], Seed: 5, Pruner: pruner);

    [Fact]
    public void Stages_run_in_order_and_the_fine_stage_searches_around_the_coarse_best()
    {
        using var storage = new InMemoryStudyStorage();
        var events = new List<StudyEvent>();
        var report = Study.Run(storage, "first", Definition(), Trial, Quick(3) with { Progress = e => { lock (events) events.Add(e); } });
        Assert.Equal(36, report.Trials.Count);
        Assert.All(report.Trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => Space.Sample(5, i)), report.Trials.Take(24).Select(t => t.Parameters));
        var fine = report.Stages[1].Space["lr"];
        Assert.True(fine.Low > 1e-4 && fine.High < 1, $"fine lr range {fine}");
        Assert.InRange(1e-2, fine.Low, fine.High);
        Assert.All(report.Trials.Skip(24), t => Assert.InRange(t.Parameters.Real("lr"), fine.Low, fine.High));
        Assert.Equal(3, report.Trials[30].Detail.EpochsRun);
        // The best of the fine stage is at least as good as the coarse one's (it searches where that was).
        Assert.True(report.BestOf(1)!.Score >= report.BestOf(0)!.Score - 0.01);
        Assert.Equal(2, events.OfType<StageStarted>().Count());
        Assert.Equal(36, events.OfType<TrialFinished>().Count());
        Assert.Contains("stage 2 fine: 12 trials × 3 epochs, lr ", events.OfType<StageStarted>().Last().ToString());
    }

    [Fact]
    public void The_results_do_not_depend_on_how_many_workers_ran_them()
    {
        StudyReport Once(int workers)
        {
            using var storage = new InMemoryStudyStorage();
            return Study.Run(storage, "s", Definition(), Trial, Quick(workers));
        }
        var one = Once(1);
        var four = Once(4);
        Assert.Equal(one.Trials.Select(t => (t.Parameters, t.Score)), four.Trials.Select(t => (t.Parameters, t.Score)));
        Assert.Equal(one.Stages.Select(s => s.Space), four.Stages.Select(s => s.Space));
    }

    [Fact]
    public void A_stopped_study_resumes_where_it_was_and_runs_each_trial_once()
    {
        using var storage = new InMemoryStudyStorage();
        using var stop = new CancellationTokenSource();
        int runs = 0;
        TrialResult Counting(TrialContext c)
        {
            if (Interlocked.Increment(ref runs) == 10) stop.Cancel();
            return Trial(c);
        }
        Assert.ThrowsAny<OperationCanceledException>(() => Study.Run(storage, "s", Definition(), Counting, Quick(1) with { Cancel = stop.Token, Lease = TimeSpan.FromMilliseconds(300) }));
        // The tenth trial was abandoned unrecorded when the study stopped; nine are done.
        Assert.Equal(9, storage.Trials(1).Count(t => t.State == TrialState.Complete));
        var resumedEvents = new List<StudyEvent>();
        // The abandoned trial's lease must run out before it is run again: a short lease here.
        var report = Study.Run(storage, "s", Definition(), Counting, Quick(2) with { Lease = TimeSpan.FromMilliseconds(300), Progress = resumedEvents.Add });
        Assert.Equal(36, report.Trials.Count(t => t.State == TrialState.Complete));
        Assert.Equal(10 + 27, runs);
        Assert.True(((StageStarted)resumedEvents[0]).Resumed);
        // The same definition is required to resume; another one is refused with the difference.
        var other = Definition() with { Seed = 6 };
        Assert.Throws<StudyMismatchException>(() => Study.Run(storage, "s", other, Trial, Quick(1)));
    }

    [Fact]
    public async Task A_worker_joins_by_the_study_name_alone_and_shares_the_trials()
    {
        using var storage = new InMemoryStudyStorage();
        var coordinator = Task.Run(() => Study.Run(storage, "shared", Definition(), Slow, Quick(1) with { Worker = "coordinator" }));
        while (storage.FindStudy("shared") is null) Thread.Sleep(1);
        var worker = Task.Run(() => Study.Work(storage, "shared", Slow, Quick(2) with { Worker = "remote" }));
        var report = await coordinator;
        await worker.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(36, report.Trials.Count(t => t.State == TrialState.Complete));
        Assert.Contains(report.Trials, t => t.Worker!.StartsWith("remote/", StringComparison.Ordinal));
        Assert.Contains(report.Trials, t => t.Worker!.StartsWith("coordinator/", StringComparison.Ordinal));
        Assert.Equal("no study \"nope\" in this storage (start the coordinator first, or check --study)",
            Assert.Throws<KeyNotFoundException>(() => Study.Work(storage, "nope", Trial)).Message);

        static TrialResult Slow(TrialContext c)
        {
            Thread.Sleep(5);
            return Trial(c);
        }
    }

    [Fact]
    public void Pruned_trials_stop_at_a_rung_and_failures_are_recorded_with_their_reason()
    {
        using var storage = new InMemoryStudyStorage();
        TrialResult Epochs(TrialContext c)
        {
            if (c.Parameters.Real("lr") > 0.3) throw new InvalidOperationException("lr too high for this test");
            for (int epoch = 1; epoch <= c.Epochs; epoch++)
            {
                double value = Score(c.Parameters) * epoch / c.Epochs;
                if (c.Report(epoch, value)) return TrialResult.Pruned(value, epoch);
            }
            return TrialResult.Scored(Score(c.Parameters), c.Epochs);
        }
        var definition = new StudyDefinition(Space, [new Stage("only", 30, 9)], Seed: 2, Pruner: new SuccessiveHalvingPruner(1, 3));
        var report = Study.Run(storage, "p", definition, Epochs, Quick(1));
        var pruned = report.Trials.Where(t => t.State == TrialState.Pruned).ToArray();
        Assert.NotEmpty(pruned);
        Assert.All(pruned, t => Assert.Contains(t.Detail.EpochsRun, new int?[] { 1, 3 }));
        Assert.All(report.Trials.Where(t => t.State == TrialState.Failed), t => Assert.Equal("InvalidOperationException: lr too high for this test", t.Detail.Message));
        Assert.Contains(report.Trials, t => t.State == TrialState.Failed);
        // Ranked: complete first by score, then pruned, then failed.
        var states = report.Ranked.Select(t => t.State).ToArray();
        Assert.Equal(states.OrderBy(s => s switch { TrialState.Complete => 0, TrialState.Pruned => 1, _ => 2 }), states);
        Assert.Equal(report.Trials.Where(t => t.State == TrialState.Complete).Max(t => t.Score), report.Best!.Score);
    }

    [Fact]
    public void The_table_and_csv_list_every_hyperparameter_best_first()
    {
        using var storage = new InMemoryStudyStorage();
        var report = Study.Run(storage, "t", new StudyDefinition(Space, [new Stage("coarse", 5, 1)], Seed: 3), Trial, Quick(1));
        var lines = report.Table().TrimEnd().Split('\n');
        Assert.Matches(@"^#\s+trial\s+stage\s+state\s+score\s+lr\s+l2\s+epochs\s+seconds\s+note$", lines[0].TrimEnd());
        Assert.Equal(6, lines.Length);
        var csv = report.ToCsv().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("trial,stage,state,score,std,lr,l2,epochs,started,finished,seconds,worker,message", csv[0]);
        var scores = csv.Skip(1).Select(l => double.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        var best = report.Best!;
        Assert.Equal(best.Parameters.Real("lr"), double.Parse(csv[1].Split(',')[5], System.Globalization.CultureInfo.InvariantCulture));
    }
}
