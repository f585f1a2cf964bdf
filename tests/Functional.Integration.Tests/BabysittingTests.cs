// The babysitting checks (initial loss, overfit, learning-rate range test) on the built-in Fashion-MNIST subset, each shown able to fail.
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Training;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

/// <summary>SubsetMlp's shape with the multiclass SVM loss: the hinge's initial-loss expectation on real data.</summary>
[Network(Inputs = 784)]
public sealed partial record SubsetHinge(
    [Dense(64), Relu] Dense Hidden,
    [Dense(10), Hinge] Dense Scores);

public sealed class BabysittingTests(ITestOutputHelper output)
{
    private static readonly Lazy<(Dataset Train, Dataset Test)> Subset = new(() =>
    {
        var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
        var standardize = Preprocess.Standardize(Granularity.Scalar).Fit(subset.Train);
        return (standardize.Apply(subset.Train), standardize.Apply(subset.Test));
    });

    [Fact]
    public void The_loss_kind_is_told_apart()
    {
        Assert.Equal(LossKind.SoftmaxCrossEntropy, Babysitting.LossOf<SubsetMlp>());
        Assert.Equal(LossKind.Hinge, Babysitting.LossOf<HingeNet>());
        Assert.Equal(LossKind.Hinge, Babysitting.LossOf<SubsetHinge>());
    }

    [Fact]
    public void A_softmax_net_with_small_initial_scores_starts_at_ln_10_and_L2_raises_the_loss()
    {
        // Weights of std 0.01 make every score ≈ 0: the lecture's setting, where the loss is ln C.
        var r = InitialLossCheck.Run(SubsetMlp.Init(seed: 1, Init.SmallRandom), Subset.Value.Train.Take(1000));
        Print(r);
        Assert.Equal(Math.Log(10), r.Expected, 12);
        Assert.InRange(r.Measured, Math.Log(10) * 0.9, Math.Log(10) * 1.1);
        Assert.Equal(CheckOutcome.Pass, r.Outcome);
        Assert.Equal(5, r.L2Table.Count);
        Assert.True(r.L2Increasing);
        for (int i = 1; i < r.L2Table.Count; i++) Assert.True(r.L2Table[i].Total > r.L2Table[i - 1].Total, $"row {i}: {r.L2Table[i]} after {r.L2Table[i - 1]}");
        // L2 leaves the data loss alone: the same batch, the same forward.
        Assert.All(r.L2Table, row => Assert.Equal(r.Measured, row.DataLoss, 5));
    }

    [Fact]
    public void At_the_declared_init_the_softmax_loss_is_above_ln_10_by_what_the_score_spread_predicts()
    {
        // He/Xavier leave the initial scores with σ ≈ 1, not ≈ 0: the loss is ≈ 3.0, 30 % above ln 10, and the check says so.
        // The Gaussian-score estimate at the measured σ accounts for it, so this is the init's scale, not a bug.
        var r = InitialLossCheck.Run(SubsetMlp.Init(seed: 1), Subset.Value.Train.Take(1000));
        Print(r);
        Assert.Equal(CheckOutcome.Warn, r.Outcome);
        Assert.InRange(r.RelativeError, 0.1, 0.5);
        Assert.InRange(r.ScoreStd, 0.7, 1.5);
        Assert.Equal(r.AtScoreStd, r.Measured, 0.1 * r.Measured);
        Assert.True(r.L2Increasing);
    }

    private void Print(InitialLossReport r)
    {
        output.WriteLine($"{r.Outcome}: measured {r.Measured:F4}, expected {r.Expected:F4} ({r.ExpectedFormula}), σ {r.ScoreStd:F3}, Gaussian-score estimate {r.AtScoreStd:F4}");
        foreach (var row in r.L2Table) output.WriteLine($"λ {row.Lambda,-6} data {row.DataLoss:F4} penalty {row.Penalty:F4} total {row.Total:F4}");
    }

    [Fact]
    public void Initial_scores_far_too_large_are_warned_about()
    {
        // Weights of std 1 on 784 standardised inputs: scores of std in the tens, a softmax loss far above ln 10.
        var r = InitialLossCheck.Run(SubsetMlp.Init(seed: 1, Init.SmallRandom, smallStd: 1f), Subset.Value.Train.Take(1000));
        output.WriteLine($"measured {r.Measured:F3}, σ {r.ScoreStd:F2}");
        Assert.Equal(CheckOutcome.Warn, r.Outcome);
        Assert.True(r.Measured > 2 * Math.Log(10));
    }

    [Theory]
    [InlineData(null, 0.01f)]
    [InlineData(Init.SmallRandom, 0.01f)]
    [InlineData(Init.SmallRandom, 0.1f)]
    public void The_hinge_expectation_matches_a_measured_hinge_net(Init? init, float smallStd)
    {
        // Synthetic data for HingeNet (7 inputs, 4 classes), the subset for SubsetHinge (784 inputs, 10 classes).
        var small = InitialLossCheck.Run(HingeNet.Init(seed: 3, init, smallStd), TestData.Random(2000, 7, 4, seed: 5));
        var fashion = InitialLossCheck.Run(SubsetHinge.Init(seed: 3, init, smallStd), Subset.Value.Train.Take(1000));
        foreach (var r in new[] { small, fashion })
        {
            output.WriteLine($"{r.Network} {init?.ToString() ?? "declared"} {smallStd}: measured {r.Measured:F4}, expected {r.Expected:F4}, pooled-σ formula {InitialLossCheck.ExpectedHinge(r.Classes, r.ScoreStd):F4} (σ {r.ScoreStd:F3}), C−1 = {r.Classes - 1}");
            Assert.InRange(r.RelativeError, -0.10, 0.10);
            Assert.Equal(CheckOutcome.Pass, r.Outcome);
        }
    }

    [Fact]
    public void Over_many_inits_the_mean_hinge_loss_is_the_expectation_and_not_C_minus_1()
    {
        // The expectation is over the init: one draw scatters (≈ 8 % here), the mean of twelve must sit on it.
        var rows = Subset.Value.Train.Take(1000);
        var runs = Enumerable.Range(1, 12).Select(seed => InitialLossCheck.Run(SubsetHinge.Init(seed), rows)).ToList();
        double measured = runs.Average(r => r.Measured), expected = runs.Average(r => r.Expected);
        output.WriteLine($"mean of 12 inits: measured {measured:F3} (from {runs.Min(r => r.Measured):F3} to {runs.Max(r => r.Measured):F3}), expected {expected:F3}, C−1 = 9");
        Assert.InRange(measured / expected, 0.95, 1.05);
        Assert.True(measured > 9 * 1.1, "at the declared init the hinge starts well above C − 1");
        Assert.All(runs, r => Assert.InRange(r.RelativeError, -InitialLossCheck.HingeTolerance, InitialLossCheck.HingeTolerance));
    }

    [Fact]
    public void The_hinge_formula_tends_to_C_minus_1_and_grows_with_sigma()
    {
        Assert.Equal(9, InitialLossCheck.ExpectedHinge(10, 1e-6), 6);
        // σ√2 = 1: 9·(Φ(1) + φ(1)) = 9·(0.841345 + 0.241971).
        Assert.Equal(9 * (0.841345 + 0.241971), InitialLossCheck.ExpectedHinge(10, 1 / Math.Sqrt(2)), 4);
        Assert.True(InitialLossCheck.ExpectedHinge(10, 2) > InitialLossCheck.ExpectedHinge(10, 1));
    }

    [Fact]
    public void Overfitting_20_examples_reaches_100_percent_within_the_budget()
    {
        var tiny = Subset.Value.Train.Take(20);
        var r = OverfitCheck.Run(SubsetMlp.Init(seed: 1), tiny, Sgd.Momentum(0.05f, 0.9f));
        output.WriteLine($"{r.Outcome} after {r.Steps} steps (target first met at {r.StepsToTarget}): loss {r.FinalLoss:F4}, accuracy {r.FinalAccuracy:P0}");
        foreach (var p in r.Curve.Where(p => p.Step % 10 == 1)) output.WriteLine($"{p.Step,4} {p.Loss:F4} {p.Accuracy:P0}");
        Assert.Equal(CheckOutcome.Pass, r.Outcome);
        Assert.Equal(1.0, r.FinalAccuracy);
        Assert.True(r.FinalLoss < OverfitCheck.DefaultLossTarget);
        Assert.True(r.Steps < OverfitCheck.DefaultMaxSteps, "the observer should stop the fold as soon as the target is met");
        Assert.Equal(r.StepsToTarget, r.Steps);
    }

    [Fact]
    public void Overfitting_with_a_crippled_learning_rate_fails()
    {
        var r = OverfitCheck.Run(SubsetMlp.Init(seed: 1), Subset.Value.Train.Take(20), Sgd.Momentum(1e-7f, 0.9f));
        output.WriteLine($"{r.Outcome}: loss {r.FinalLoss:F4}, accuracy {r.FinalAccuracy:P0} after {r.Steps} steps");
        Assert.Equal(CheckOutcome.Fail, r.Outcome);
        Assert.Equal(OverfitCheck.DefaultMaxSteps, r.Steps);
        Assert.Null(r.StepsToTarget);
    }

    [Fact]
    public void The_range_test_finds_too_low_and_too_high_and_suggests_a_range_around_0_01()
    {
        var r = LearningRateFinder.Run(SubsetMlp.Init(seed: 1), Subset.Value.Train, lr => Sgd.Momentum(lr, 0.9f));
        output.WriteLine($"{r.Points.Count} steps, {r.StopReason}; start {r.StartLoss:F3}, minimum {r.MinimumLoss:F3}");
        output.WriteLine($"too low {r.TooLow}, steepest {r.Steepest:G3}, minimum at {r.AtMinimum:G3}, too high {r.TooHigh}, suggested {r.Suggested}");
        foreach (var p in r.Points.Where((_, i) => i % 10 == 0)) output.WriteLine($"{p.LearningRate,10:G3} {p.Loss,8:F4} {p.Smoothed,8:F4}");
        Assert.Equal(1e-6, r.TooLow.From, 9);
        Assert.True(r.TooLow.To >= 1e-5, $"too-low region ends at {r.TooLow.To:G3}");
        Assert.NotNull(r.TooHigh);
        Assert.True(r.TooHigh!.Value.From > r.AtMinimum);
        Assert.True(r.TooLow.To < r.Steepest && r.Steepest <= r.AtMinimum);
        Assert.True(r.Suggested.From < r.Suggested.To);
        Assert.InRange(r.Suggested.From, 1e-5, 1);
        Assert.InRange(r.Suggested.To, 1e-5, 1);
        Assert.True(r.Suggested.Contains(0.01), $"suggested {r.Suggested}");
        Assert.True(r.MinimumLoss < 0.5 * r.StartLoss);
    }
}
