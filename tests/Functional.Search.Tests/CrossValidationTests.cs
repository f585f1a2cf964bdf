// Cross-validated scores against a hand computation on a six-row set: preprocessing fitted on each fold's training part only, the score as mean ± std.
using Functional.Data;
using Functional.Search;

namespace Functional.Search.Tests;

public sealed class CrossValidationTests
{
    // Class 0 is three zeros and class 1 is 1, 2 and 6, so three stratified folds each hold one zero and one of 1, 2, 6,
    // whichever way the seed deals them: the folds' scores are a set fixed by hand.
    private static Dataset Six() => Sources.FromRows("six", [[0f], [0f], [0f], [1f], [2f], [6f]], [0, 0, 0, 1, 1, 1], 2).ThrowIfFail();

    /// <summary>The mean of the validation rows after centring: (mean of validation) − (mean of training) when fitted on training only.</summary>
    private static double CentredValidationMean(Fold fold) => Enumerable.Range(0, fold.Validation.Count).Average(i => fold.Validation.Row(i)[0]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Three_folds_score_as_computed_by_hand(int seed)
    {
        var score = CrossValidation.Run(Six(), Validation.KFold(3), seed, Preprocess.Center(), CentredValidationMean);
        // The fold holding v ∈ {1, 2, 6}: validation {0, v} has mean v/2, training (9 − v)/4, so it scores (3v − 9)/4:
        // −1.5, −0.75 and 2.25. Mean 0; population std √((2.25 + 0.5625 + 5.0625)/3) = √2.625.
        Assert.Equal(new[] { -1.5, -0.75, 2.25 }, score.Folds.Order().Select(s => Math.Round(s, 6)));
        Assert.Equal(0, score.Mean, 6);
        Assert.Equal(Math.Sqrt(2.625), score.Std, 6);
        Assert.Equal("0.0000 ± 1.6202 (3 folds)", score.ToString().Replace("-0.0000", "0.0000"));
    }

    [Fact]
    public void Fitting_on_all_rows_would_have_leaked_and_scored_otherwise()
    {
        // Centred by the mean of all six (1.5) instead, the folds would score v/2 − 1.5: −1, −0.5, 1.5 (std √(3.5/3)).
        var leaky = CrossValidation.Run(Six(), Validation.KFold(3), 1, Preprocess.None, f => CentredValidationMean(f) - 1.5);
        Assert.Equal(Math.Sqrt(3.5 / 3), leaky.Std, 6);
        Assert.NotEqual(CrossValidation.Run(Six(), Validation.KFold(3), 1, Preprocess.Center(), CentredValidationMean).Std, leaky.Std, 3);
    }

    [Fact]
    public void A_hold_out_set_is_one_fold_with_no_spread()
    {
        var score = CrossValidation.Run(Six(), Validation.HoldOut(2), 1, Preprocess.Center(), CentredValidationMean);
        Assert.Single(score.Folds);
        Assert.Equal(0, score.Std);
        Assert.Equal("k-fold cross-validation needs k ≥ 2 (use HoldOut for one split) (Parameter 'k')\nActual value was 1.",
            Assert.Throws<ArgumentOutOfRangeException>(() => Validation.KFold(1)).Message.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_standard_deviation_is_the_population_one()
    {
        var s = CrossValidationScore.Of([0.8, 0.9]);
        Assert.Equal(0.85, s.Mean, 12);
        Assert.Equal(0.05, s.Std, 12);
    }
}
