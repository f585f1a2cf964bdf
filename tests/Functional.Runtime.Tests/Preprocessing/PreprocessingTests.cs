// Worked examples of each preprocessing step, its edge cases and its errors, plus PCA on real Fashion-MNIST images.
using System.Reflection;
using Functional.Data;
using Functional.Tests.Data;

namespace Functional.Tests.Preprocessing;

public sealed class PreprocessingTests
{
    private static Dataset Rows(string name, int featureCount, params float[][] rows) =>
        Dataset.Create(name, [.. rows.SelectMany(r => r)], [.. rows.Select((_, i) => i % 2)], featureCount, 2).ThrowIfFail();

    [Fact]
    public void Each_granularity_subtracts_its_own_mean()
    {
        // Two channels of two values each: channel 0 = features 0–1, channel 1 = features 2–3.
        var train = Rows("train", 4, [1, 3, 10, 30], [3, 5, 20, 40]);

        Assert.Equal([14f], Centering.Fit(train, Granularity.Scalar).Mean.ToArray());
        Assert.Equal([3f, 25f], Centering.Fit(train, Granularity.PerChannel(2)).Mean.ToArray());
        Assert.Equal([2f, 4f, 15f, 35f], Centering.Fit(train, Granularity.PerFeature).Mean.ToArray());

        var centred = Preprocess.Center(Granularity.PerChannel(2)).Fit(train).Apply(train);
        Assert.Equal([-2f, 0f, -15f, 5f, 0f, 2f, -5f, 15f], centred.Features.ToArray());
    }

    [Fact]
    public void Scaling_divides_by_the_population_std_and_leaves_constant_features_alone()
    {
        // Feature 0: values 1 and 3 (σ = 1); feature 1: always 7 (σ = 0, so divided by 1 rather than turned into ∞).
        var train = Rows("train", 2, [1, 7], [3, 7]);
        var scaling = Scaling.Fit(train, Granularity.PerFeature);

        Assert.Equal([1f, 1f], scaling.Std.ToArray());
        var standardized = Preprocess.Standardize().Fit(train).Apply(train);
        Assert.Equal([-1f, 0f, 1f, 0f], standardized.Features.ToArray());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(8, 2)]
    [InlineData(13, 1)]
    [InlineData(36, 3)]
    [InlineData(785, 5)]
    public void Means_and_stds_are_the_one_by_one_double_sums_to_the_last_bit(int features, int channels)
    {
        // Values offset from 0 (where rounding shows), at widths around the eight-float blocks the fit sums with.
        var random = new Random(features);
        int rows = 301;
        var values = Enumerable.Range(0, rows * features).Select(_ => (float)(1000 + random.NextDouble() * 3)).ToArray();
        var train = Dataset.Create("train", values, [.. Enumerable.Range(0, rows).Select(i => i % 2)], features, 2).ThrowIfFail();
        foreach (var g in new[] { Granularity.Scalar, Granularity.PerFeature, Granularity.PerChannel(channels) })
        {
            int groups = g.Kind switch { GranularityKind.Scalar => 1, GranularityKind.PerFeature => features, _ => channels }, size = features / groups;
            var sums = new double[features];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < features; j++) sums[j] += values[i * features + j];
            var mean = new double[groups];
            for (int j = 0; j < features; j++) mean[j / size] += sums[j];
            for (int c = 0; c < groups; c++) mean[c] /= (double)rows * size;
            var squares = new double[features];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < features; j++)
                {
                    double e = values[i * features + j] - mean[j / size];
                    squares[j] += e * e;
                }
            var std = new double[groups];
            for (int j = 0; j < features; j++) std[j / size] += squares[j];
            for (int c = 0; c < groups; c++) std[c] = Math.Sqrt(std[c] / ((double)rows * size));

            Assert.Equal(mean.Select(m => (float)m), Centering.Fit(train, g).Mean.ToArray());
            Assert.Equal(std.Select(v => (float)v), Scaling.Fit(train, g).Std.ToArray());
        }
    }

    [Fact]
    public void Later_steps_are_fitted_on_the_output_of_earlier_ones()
    {
        var train = Rows("train", 2, [1, 100], [3, 300], [5, 200]);
        var fitted = Preprocess.Center().Then(Preprocess.Scale(Granularity.Scalar)).Fit(train);

        var scaling = Assert.IsType<Scaling>(fitted.Steps[1]);
        // Centred values: (−2, 0, 2) and (−100, 100, 0): their pooled population std is √(20008/6).
        Assert.Equal((float)Math.Sqrt(20008.0 / 6), scaling.Std[0]);
    }

    [Fact]
    public void Fit_transform_is_fit_then_apply_to_the_bit_and_no_caller_set_is_overwritten()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 40 * 6).Select(_ => (float)(random.NextDouble() * 9 - 2)).ToArray();
        var train = Dataset.Create("train", (float[])values.Clone(), [.. Enumerable.Range(0, 40).Select(i => i % 2)], 6, 2).ThrowIfFail();
        var held = Rows("held", 6, [1, 2, 3, 4, 5, 6], [0, -1, 7, 2, 2, 9]);
        var heldValues = held.Features.ToArray();
        // Element-wise steps after the first write in place; after PCA (not element-wise) too; PCA first copies.
        foreach (var pipeline in new[] { Preprocess.Standardize(), Preprocess.Standardize(Granularity.PerFeature).Then(Preprocess.Center()),
                     Preprocess.Center().Then(Preprocess.Pca(4)).Then(Preprocess.Scale(Granularity.Scalar)) })
        {
            var fitted = pipeline.Fit(train);
            var expected = fitted.Steps.Aggregate(train, (current, step) => step.Apply(current));
            var (again, transformed) = pipeline.FitTransform(train);

            Assert.Equal(fitted, again);
            Assert.Equal(expected.Features.ToArray(), transformed.Features.ToArray());
            Assert.Equal(expected.Features.ToArray(), fitted.Apply(train).Features.ToArray());
            Assert.Equal(fitted.Steps.Aggregate(held, (current, step) => step.Apply(current)).Features.ToArray(), fitted.Apply(held).Features.ToArray());
            Assert.Equal(values, train.Features.ToArray());
            Assert.Equal(heldValues, held.Features.ToArray());
        }
    }

    [Fact]
    public void Applying_to_a_set_of_another_width_names_the_set()
    {
        var fitted = Preprocess.Standardize().Fit(Rows("train", 2, [1, 2], [3, 5]));
        var other = Rows("test.csv", 3, [1, 2, 3]);

        var e = Assert.Throws<ArgumentException>(() => fitted.Apply(other));
        Assert.Contains("test.csv has 3 features", e.Message);
        Assert.Contains("fitted on rows of 2", e.Message);
    }

    [Fact]
    public void Impossible_settings_are_refused_with_the_set_named()
    {
        var train = Rows("train", 3, [1, 2, 3], [3, 5, 8], [0, 1, 1]);

        Assert.Contains("train: 3 features cannot be 2 equal channels", Assert.Throws<ArgumentException>(() => Preprocess.Center(Granularity.PerChannel(2)).Fit(train)).Message);
        Assert.Contains("train: PCA keeps between 1 and 3", Assert.Throws<ArgumentOutOfRangeException>(() => Preprocess.Pca(4).Fit(train)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocess.ZcaWhiten(-1).Fit(train));
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocess.PcaRetaining(1.5).Fit(train));
    }

    [Fact]
    public void Pca_changes_the_feature_count_and_keeps_labels()
    {
        var train = new Shape(Rows: 40, Features: 6, Seed: 3).Build();
        var projected = Preprocess.Pca(2).Fit(train).Apply(train);

        Assert.Equal(2, projected.FeatureCount);
        Assert.Equal(train.Labels.ToArray(), projected.Labels.ToArray());
        Assert.Equal(train.Name, projected.Name);
    }

    [Fact]
    public void Pca_on_fashion_mnist_images_reports_explained_variance()
    {
        var train = FashionMnist.FromBuiltInSubset().ThrowIfFail().Train;
        var pca = Pca.Fit(train, 784);
        var ratios = pca.ExplainedVarianceRatio;

        Assert.Equal(784, ratios.Count);
        Assert.Equal(1.0, ratios.Sum(), 6);
        for (int i = 1; i < ratios.Count; i++) Assert.True(ratios[i] <= ratios[i - 1]);
        // The trace of the covariance is the sum of per-pixel variances, computed here independently.
        var covariance = Statistics.Std(train, Granularity.PerFeature, Statistics.Mean(train, Granularity.PerFeature));
        Assert.Equal(covariance.Sum(s => s * s), pca.TotalVariance, 3);

        // Retaining 90 % keeps the fewest leading components whose ratios reach 0.9.
        var kept = Pca.FitRetaining(train, 0.9);
        Assert.True(kept.RetainedVariance >= 0.9);
        Assert.True(kept.RetainedVariance - kept.ExplainedVarianceRatio[^1] < 0.9);
        Assert.Equal(ratios.Take(kept.OutputCount), kept.ExplainedVarianceRatio);
    }

    [Fact]
    public void Every_fit_takes_the_training_set_and_settings_only()
    {
        // Structural half of "never reads the test set": no Fit can be handed a second data set.
        var fits = typeof(ITransform).Assembly.GetTypes()
            .Where(t => typeof(ITransform).IsAssignableFrom(t) && !t.IsInterface)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name.StartsWith("Fit", StringComparison.Ordinal)))
            .Append(typeof(Pipeline).GetMethod(nameof(Pipeline.Fit))!)
            .ToList();

        Assert.True(fits.Count >= 7, $"found only {fits.Count} Fit methods");
        Assert.All(fits, m => Assert.Single(m.GetParameters(), p => p.ParameterType == typeof(Dataset)));
    }

    [Fact]
    public void Restoring_a_broken_description_says_what_is_wrong()
    {
        var train = Rows("train", 2, [1, 2], [3, 5], [2, 2]);
        var good = Pca.Fit(train, 2).Describe();

        string Error(TransformDescription d) => IdxScratch.Message(Transforms.Restore(d, "model.fnm, step 1"));

        Assert.StartsWith("model.fnm, step 1: unknown transform kind \"Rotate\"", Error(good with { Kind = "Rotate" }));
        Assert.Contains("array \"components\" holds 3 values, not 4", Error(good with { Arrays = With(good.Arrays, "components", [1, 0, 0]) }));
        Assert.Contains("array \"mean\"[1] is NaN", Error(good with { Arrays = With(good.Arrays, "mean", [0, float.NaN]) }));
        Assert.Contains("setting \"components\" is \"x\"", Error(good with { Settings = With(good.Settings, "components", "x") }));
        Assert.Contains("setting \"totalVariance\" is missing", Error(good with { Settings = Without(good.Settings, "totalVariance") }));

        var scaling = Scaling.Fit(train, Granularity.PerFeature).Describe();
        Assert.Contains("array \"std\"[0] is 0; a divisor must be positive", Error(scaling with { Arrays = With(scaling.Arrays, "std", [0, 1]) }));
        Assert.Contains("granularity \"per-pixel\"", Error(scaling with { Settings = With(scaling.Settings, "granularity", "per-pixel") }));
    }

    private static Dictionary<string, T> With<T>(IReadOnlyDictionary<string, T> source, string key, T value) =>
        new(source) { [key] = value };

    private static Dictionary<string, T> Without<T>(IReadOnlyDictionary<string, T> source, string key) =>
        source.Where(p => p.Key != key).ToDictionary();
}
