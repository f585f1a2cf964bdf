// Property tests (FsCheck) of what each preprocessing step promises, checked against statistics computed naively in double.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Functional.Data;

namespace Functional.Tests.Preprocessing;

[Properties(Arbitrary = [typeof(Shapes)], MaxTest = 60)]
public sealed class PreprocessingProperties
{
    // Float rounding bounds, not fudge: one value x − fl(μ) is off by at most half an ulp of the result, and fl(μ) by
    // half an ulp of μ, so a mean of centred values is within 2⁻²⁴·(|μ| + max|y|) ≤ 3·2⁻²⁴·max|x| of zero.
    private const double HalfUlp = 1.0 / (1 << 24);

    [Property]
    public void Centered_data_has_mean_zero_per_group(Shape shape, int granularityPick)
    {
        var train = shape.Build();
        var granularity = PickGranularity(granularityPick, shape.Features);
        var centred = Preprocess.Center(granularity).Fit(train).Apply(train);

        var means = GroupMeans(centred, granularity);
        double bound = 3 * HalfUlp * Moments.MaxAbs(train);
        Assert.All(means, m => Assert.True(Math.Abs(m) <= bound, $"group mean {m:E3} exceeds {bound:E3} ({granularity})"));
    }

    [Property]
    public void Standardized_data_has_unit_variance_per_feature(Shape shape)
    {
        var train = shape.Build();
        var standardized = Preprocess.Standardize().Fit(train).Apply(train);

        var covariance = Moments.Covariance(standardized);
        int d = shape.Features;
        // Each output is a quotient of two rounded floats (≤ 2 half-ulps relative), so a variance is within ~4 half-ulps
        // of 1; 16 leaves room for the rounding of the centred values it is computed from.
        for (int j = 0; j < d; j++)
            Assert.True(Math.Abs(covariance[j * d + j] - 1) <= 16 * HalfUlp, $"feature {j}: variance {covariance[j * d + j]:R}");
    }

    [Property]
    public void Pca_whitened_data_has_identity_covariance(Shape shape)
    {
        var train = shape.Build();
        // ε = 0: exactly the identity in exact arithmetic; ε > 0 is checked separately against λ/(λ + ε).
        var whitened = Preprocess.PcaWhiten(epsilon: 0).Fit(train).Apply(train);
        AssertCovariance(whitened, (i, j) => i == j ? 1 : 0, WhiteningTolerance);
    }

    [Property]
    public void Zca_whitened_data_has_identity_covariance(Shape shape)
    {
        var train = shape.Build();
        var whitened = Preprocess.ZcaWhiten(epsilon: 0).Fit(train).Apply(train);
        AssertCovariance(whitened, (i, j) => i == j ? 1 : 0, WhiteningTolerance);
    }

    [Property]
    public void Epsilon_shrinks_each_whitened_variance_to_lambda_over_lambda_plus_epsilon(Shape shape)
    {
        var train = shape.Build();
        var fitted = PcaWhitening.Fit(train, k: null, epsilon: 0.5);
        var whitened = fitted.Apply(train);
        var lambda = fitted.Variances.ToArray();
        AssertCovariance(whitened, (i, j) => i == j ? lambda[i] / (lambda[i] + 0.5) : 0, WhiteningTolerance);
    }

    [Property]
    public void Pca_with_k_equal_to_d_reconstructs_the_data(Shape shape)
    {
        var train = shape.Build();
        var pca = Pca.Fit(train, shape.Features);
        var back = pca.Reconstruct(pca.Apply(train));

        // Two float products of d terms each, around values centred on μ: a few ulps of the data's magnitude.
        double bound = 8 * shape.Features * HalfUlp * Moments.MaxAbs(train);
        for (int k = 0; k < train.Features.Length; k++)
            Assert.True(Math.Abs(back.Features[k] - train.Features[k]) <= bound,
                $"value {k}: {train.Features[k]:R} came back as {back.Features[k]:R} (bound {bound:E2})");
        Assert.Equal(1.0, pca.RetainedVariance, 5);
    }

    [Property]
    public void Pca_components_are_orthonormal_and_ordered_by_variance(Shape shape)
    {
        var train = shape.Build();
        int d = shape.Features, k = Math.Max(1, d / 2);
        var pca = Pca.Fit(train, k);
        var u = pca.Components.ToArray();
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += (double)u[a * d + j] * u[b * d + j];
                Assert.True(Math.Abs(dot - (a == b ? 1 : 0)) <= 1e-5, $"u{a}·u{b} = {dot:R}");
            }
        var ratios = pca.ExplainedVarianceRatio;
        for (int i = 1; i < ratios.Count; i++) Assert.True(ratios[i] <= ratios[i - 1], $"ratio {i} = {ratios[i]} > ratio {i - 1} = {ratios[i - 1]}");
        // The projected data's variances are the eigenvalues the fit reports.
        var projected = Moments.Covariance(pca.Apply(train));
        for (int i = 0; i < k; i++)
            Assert.True(Math.Abs(projected[i * k + i] - pca.Variances[i]) <= 1e-4 * pca.TotalVariance,
                $"component {i}: projected variance {projected[i * k + i]:R}, reported {pca.Variances[i]:R}");
    }

    /// <summary>
    /// Fitting reads the training set only: the fitted pipeline is the same whatever test set accompanies it, and
    /// applying it treats rows independently, so changing one test row changes that output row and no other.
    /// </summary>
    [Property]
    public void A_pipeline_fitted_on_train_never_reads_the_test_set(Shape shape, int testSeed, int changedRow)
    {
        var train = shape.Build();
        var test = shape.BuildOther(rows: 20, seed: testSeed);
        var pipeline = Preprocess.Standardize().Then(Preprocess.PcaWhiten(k: Math.Max(1, shape.Features - 1), epsilon: 1e-3));

        var alone = pipeline.Fit(train);
        var withTest = pipeline.FitApply(train, test);
        int row = Math.Abs(changedRow % test.Count);
        var features = test.Features.ToArray();
        for (int j = 0; j < shape.Features; j++) features[row * shape.Features + j] += 1000 * (j + 1);
        var changed = test.WithFeatures(features);
        var withChanged = pipeline.FitApply(train, changed);

        Assert.Equal(alone, withTest.Fitted);
        Assert.Equal(alone, withChanged.Fitted);
        Assert.Equal(alone.Apply(train).Features.ToArray(), withChanged.Train.Features.ToArray());
        int width = alone.OutputCount;
        for (int r = 0; r < test.Count; r++)
        {
            bool same = withTest.Test.Row(r).SequenceEqual(withChanged.Test.Row(r));
            Assert.True(r == row ? !same : same, $"row {r} {(same ? "did not change" : "changed")} when only row {row} of the test set changed");
        }
        Assert.Equal(width, withTest.Test.FeatureCount);
    }

    [Property]
    public void A_fitted_pipeline_survives_its_description(Shape shape)
    {
        var train = shape.Build();
        var fitted = Preprocess.Center(Granularity.Scalar).Then(Preprocess.Scale()).Then(Preprocess.ZcaWhiten(1e-2))
                               .Then(Preprocess.Pca(Math.Max(1, shape.Features / 2))).Fit(train);
        var restored = Transforms.Restore(fitted.Describe(), "test").ThrowIfFail();

        Assert.Equal(fitted, restored);
        // Derived weights are recomputed from the stored floats, so the restored pipeline applies bit for bit alike.
        Assert.Equal(fitted.Apply(train).Features.ToArray(), restored.Apply(train).Features.ToArray());
    }

    // Inputs reach |x| ≈ 60, where floats are 3.8e-6 apart; centred and whitened values carry that absolute rounding
    // divided by the smallest standard deviation (≳ 0.2 for these shapes), about 2e-5 at worst (5e-6 is typical).
    private const double WhiteningTolerance = 5e-5;

    private static void AssertCovariance(Dataset data, Func<int, int, double> expected, double tolerance)
    {
        int d = data.FeatureCount;
        var c = Moments.Covariance(data);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                Assert.True(Math.Abs(c[i * d + j] - expected(i, j)) <= tolerance,
                    $"covariance[{i}, {j}] = {c[i * d + j]:R}, expected {expected(i, j):R} ± {tolerance}");
        var means = Moments.Means(data);
        Assert.All(means, m => Assert.True(Math.Abs(m) <= tolerance, $"mean {m:E3}"));
    }

    private static Granularity PickGranularity(int pick, int features)
    {
        var divisors = Enumerable.Range(1, features).Where(c => features % c == 0).ToArray();
        return Math.Abs(pick % 3) switch
        {
            0 => Granularity.Scalar,
            1 => Granularity.PerFeature,
            _ => Granularity.PerChannel(divisors[Math.Abs(pick / 3 % divisors.Length)]),
        };
    }

    /// <summary>Means over the groups a granularity defines, computed here from scratch.</summary>
    private static double[] GroupMeans(Dataset data, Granularity g)
    {
        int d = data.FeatureCount;
        int groups = g.Kind switch { GranularityKind.Scalar => 1, GranularityKind.PerFeature => d, _ => g.Channels };
        var sums = new double[groups];
        for (int r = 0; r < data.Count; r++)
            for (int j = 0; j < d; j++) sums[j / (d / groups)] += data.Row(r)[j];
        return [.. sums.Select(s => s / ((double)data.Count * d / groups))];
    }
}
