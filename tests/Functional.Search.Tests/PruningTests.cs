// Early stopping: the lecture's kill rule (non-finite or above 3× the initial loss) as an observer of a real fold, and the median and successive-halving pruners at equal epochs.
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Search;
using Functional.Training;

namespace Functional.Search.Tests;

[Network(Inputs = 2)]
public sealed partial record TinyNet([Dense(8), Relu] Dense Hidden, [Dense(2), SoftmaxCrossEntropy] Dense Scores);

public sealed class PruningTests
{
    [Fact]
    public void The_early_kill_stops_at_three_times_the_initial_loss_or_a_non_finite_one()
    {
        var kill = new EarlyKill();
        Assert.Equal(Verdict.Continue, kill.OnStep(new StepReport(1, 2.0f, 0, 0, 1)));
        Assert.Equal(Verdict.Continue, kill.OnStep(new StepReport(2, 5.9f, 0.09f, 0, 1)));
        Assert.Equal(Verdict.Stop, kill.OnStep(new StepReport(3, 6.0f, 0.1f, 0, 1)));
        Assert.Equal("loss 6.1 at step 3 is above 3× the initial 2", kill.Reason);

        var nan = new EarlyKill();
        nan.OnStep(new StepReport(1, 1, 0, 0, 1));
        Assert.Equal(Verdict.Stop, nan.OnStep(new StepReport(2, float.PositiveInfinity, 0, 0, 1)));
        Assert.Equal("loss Infinity at step 2", nan.Reason);
    }

    [Fact]
    public void A_trial_with_a_learning_rate_far_too_high_is_killed_in_its_first_epoch()
    {
        var rows = Enumerable.Range(0, 200).Select(i => new[] { (float)Math.Sin(i), (float)Math.Cos(3 * i) }).ToArray();
        var data = Sources.FromRows("xor-ish", rows, rows.Select(r => r[0] * r[1] > 0 ? 1 : 0).ToArray(), 2).ThrowIfFail();
        var trial = new NetworkTrial<TinyNet>(data, Validation.HoldOut(50), (p, _) => Sgd.Plain((float)p.Real("lr")), _ => 0f, Batch: 10);
        var killed = trial.Run(TrialContext.Standalone(ParameterSet.Of(("lr", 300.0)), epochs: 5));
        Assert.Equal(Functional.Search.Storage.TrialState.Failed, killed.State);
        Assert.Equal(1, killed.EpochsRun);
        Assert.Matches("^(early kill in epoch 1: loss .* is above 3× the initial|diverged in epoch 1)", killed.Message);
        var fine = trial.Run(TrialContext.Standalone(ParameterSet.Of(("lr", 0.1)), epochs: 5));
        Assert.Equal(Functional.Search.Storage.TrialState.Complete, fine.State);
        Assert.InRange(fine.Score!.Value, 0.5, 1);
    }

    [Fact]
    public void The_init_scheme_is_a_categorical_hyperparameter_of_the_trial()
    {
        var rows = Enumerable.Range(0, 200).Select(i => new[] { (float)Math.Sin(i), (float)Math.Cos(3 * i) }).ToArray();
        var data = Sources.FromRows("xor-ish", rows, rows.Select(r => r[0] * r[1] > 0 ? 1 : 0).ToArray(), 2).ThrowIfFail();
        var trial = new NetworkTrial<TinyNet>(data, Validation.HoldOut(50), (p, _) => Sgd.Plain((float)p.Real("lr")), _ => 0f, Batch: 10);
        double Score(params (string, object)[] p) => trial.Run(TrialContext.Standalone(ParameterSet.Of(p), epochs: 5)).Score!.Value;
        double declared = Score(("lr", 0.1)), byActivation = Score(("lr", 0.1), ("init", "default"));
        double he = Score(("lr", 0.1), ("init", "He")), zeros = Score(("lr", 0.1), ("init", "zeros"));
        // "default" is what the declaration does (He before the ReLU, Xavier for the scores): the same network, the same score to the bit.
        Assert.Equal(declared, byActivation);
        // All-zero weights never break symmetry: the hidden layer outputs 0, only the scores' biases learn, and the net
        // answers the training part's majority class for every row; He-initialised, it learns the rule.
        var fold = Folds.HoldOut(data, 50, 1);
        int majority = fold.Train.Labels.ToArray().GroupBy(l => l).OrderByDescending(g => g.Count()).First().Key;
        Assert.Equal(fold.Validation.Labels.ToArray().Count(l => l == majority) / 50.0, zeros, 12);
        Assert.True(he > zeros + 0.1, $"he {he}, zeros {zeros}");
        Assert.Equal(Init.SmallRandom, NetworkTrial<TinyNet>.InitScheme("smallrandom"));
        Assert.Null(NetworkTrial<TinyNet>.InitOf(ParameterSet.Of(("lr", 0.1))));
        foreach (var bad in new[] { "glorot", "2", "" })
            Assert.Equal($"init \"{bad}\" is no initialisation scheme (use default, xavier, he, zeros, smallrandom, xavieruniform, heuniform)",
                Assert.Throws<ArgumentException>(() => NetworkTrial<TinyNet>.InitScheme(bad)).Message);
        // A bad name in a study's space fails that trial with the message, not the study.
        Assert.Equal(Functional.Search.Storage.TrialState.Failed, SafeRun(trial).State);
    }

    private static TrialResult SafeRun(NetworkTrial<TinyNet> trial)
    {
        using var storage = new Functional.Search.Storage.InMemoryStudyStorage();
        var space = new SearchSpace(Dimension.Uniform("lr", 0.09, 0.11), Dimension.Categorical("init", "glorot", "glorot2"));
        var report = Study.Run(storage, "bad", new StudyDefinition(space, [new Stage("s", 1, 1)]), trial.Run, new StudyOptions { Workers = 1 });
        var t = report.Trials.Single();
        Assert.StartsWith("ArgumentException: init \"glorot", t.Detail.Message);
        return new TrialResult(t.State, t.Score);
    }

    [Fact]
    public void The_median_pruner_stops_a_trial_below_the_median_of_the_others_at_that_epoch()
    {
        var median = new MedianPruner(Warmup: 2, MinimumTrials: 3);
        double[] reported = [0.5, 0.6, 0.7, 0.8, 0.55];
        Assert.True(median.ShouldPrune(2, 0.55, reported)); // others 0.5 0.6 0.7 0.8: median 0.65
        Assert.False(median.ShouldPrune(2, 0.7, [0.5, 0.6, 0.7, 0.8]));
        Assert.False(median.ShouldPrune(1, 0.1, reported)); // still warming up
        Assert.False(median.ShouldPrune(2, 0.1, [0.5, 0.6, 0.1])); // only two others
    }

    [Fact]
    public void Successive_halving_keeps_the_top_third_at_each_rung_and_leaves_other_epochs_alone()
    {
        var halving = new SuccessiveHalvingPruner(MinimumEpochs: 1, Eta: 3);
        Assert.Equal(new[] { 1, 3, 9 }, Enumerable.Range(1, 10).Where(halving.IsRung));
        double[] rung = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
        // Six reported: the top two go on.
        Assert.False(halving.ShouldPrune(1, 0.9, rung));
        Assert.False(halving.ShouldPrune(1, 0.8, rung));
        Assert.True(halving.ShouldPrune(1, 0.7, rung));
        Assert.False(halving.ShouldPrune(2, 0.1, rung)); // not a rung
        Assert.False(halving.ShouldPrune(3, 0.2, [0.2])); // the first at a rung goes on
        Assert.True(halving.ShouldPrune(3, 0.2, [0.5, 0.2, 0.4]));
    }
}
