// Preprocessing as an F#-style pipeline: steps chained with Then, fitted on training data, applied to every set alike.
using System.Collections.Immutable;

namespace Functional.Data;

/// <summary>One unfitted step: a name for reports and the function that fits it on (already preprocessed) training data.</summary>
public sealed record PreprocessStep(string Name, Func<Dataset, ITransform> Fit);

/// <summary>
/// Unfitted steps in order. <see cref="Fit"/> works like scikit-learn's Pipeline: step 1 is fitted on the training
/// set and applied to it, step 2 is fitted on that result, and so on. Only the training set is ever read while fitting;
/// the <see cref="FittedPipeline"/> it returns is then applied, unchanged, to train, validation and test.
/// </summary>
public sealed class Pipeline
{
    private Pipeline(ImmutableArray<PreprocessStep> steps) => Steps = steps;

    /// <summary>The unfitted steps, in the order they are fitted and applied.</summary>
    public ImmutableArray<PreprocessStep> Steps { get; }

    /// <summary>No preprocessing: fits to a pipeline that returns its input.</summary>
    public static Pipeline Empty { get; } = new([]);

    /// <summary>A pipeline of the single step <paramref name="step"/>.</summary>
    public static Pipeline Of(PreprocessStep step) => new([step]);

    /// <summary>This pipeline followed by <paramref name="next"/> (F#'s &gt;&gt;).</summary>
    public Pipeline Then(Pipeline next) => new(Steps.AddRange(next.Steps));

    /// <summary>Fits every step in turn on <paramref name="train"/>; nothing but <paramref name="train"/> is read.</summary>
    public FittedPipeline Fit(Dataset train) => Fitting(train, transformLast: false).Fitted;

    /// <summary>
    /// Fits every step in turn on <paramref name="train"/> and returns <paramref name="train"/> transformed too
    /// (scikit-learn's <c>fit_transform</c>): bit for bit <c>Fit(train).Apply(train)</c>, but each step's output on
    /// the training set is made once, and the element-wise steps after the first write it in place, so a
    /// standardisation copies the training set once rather than three times.
    /// </summary>
    public (FittedPipeline Fitted, Dataset Train) FitTransform(Dataset train) => Fitting(train, transformLast: true);

    private (FittedPipeline Fitted, Dataset Train) Fitting(Dataset train, bool transformLast)
    {
        ArgumentNullException.ThrowIfNull(train);
        var fitted = ImmutableArray.CreateBuilder<ITransform>(Steps.Length);
        var current = train;
        for (int i = 0; i < Steps.Length; i++)
        {
            var transform = Steps[i].Fit(current);
            fitted.Add(transform);
            // Fit alone does not need the last step's output: skipping it saves a pass over the training set.
            if (i < Steps.Length - 1 || transformLast) current = PipelineSteps.Apply(transform, current, train);
        }
        return (new FittedPipeline(fitted.MoveToImmutable(), train.FeatureCount), current);
    }

    /// <summary>The steps' names joined by arrows, or "none" for the empty pipeline.</summary>
    public override string ToString() => Steps.IsEmpty ? "none" : string.Join(" → ", Steps.Select(s => s.Name));
}

/// <summary>
/// Fitted steps applied in order: itself a transform, so it is saved with a model as one value and applied to
/// train, validation and test data with the same statistics.
/// </summary>
public sealed record FittedPipeline : ITransform
{
    internal FittedPipeline(ImmutableArray<ITransform> steps, int inputCount)
    {
        for (int i = 1; i < steps.Length; i++)
            if (steps[i].InputCount != steps[i - 1].OutputCount)
                throw new ArgumentException($"step {i + 1} ({steps[i].GetType().Name}) takes {steps[i].InputCount} features " +
                                            $"but step {i} ({steps[i - 1].GetType().Name}) produces {steps[i - 1].OutputCount}");
        if (steps.Length > 0 && steps[0].InputCount != inputCount)
            throw new ArgumentException($"the first step takes {steps[0].InputCount} features, not {inputCount}");
        Steps = steps;
        InputCount = inputCount;
    }

    /// <summary>A pipeline of already fitted transforms (for instance, fitted one by one by hand).</summary>
    public static FittedPipeline Of(int inputCount, params ITransform[] steps) =>
        // Nested pipelines are flattened: a pipeline of pipelines applies the same steps in the same order.
        new([.. steps.SelectMany(s => s is FittedPipeline p ? p.Steps.AsEnumerable() : [s])], inputCount);

    /// <summary>The fitted transforms, in the order they are applied (nested pipelines flattened).</summary>
    public ImmutableArray<ITransform> Steps { get; }
    /// <inheritdoc/>
    public int InputCount { get; }
    /// <inheritdoc/>
    public int OutputCount => Steps.IsEmpty ? InputCount : Steps[^1].OutputCount;

    /// <inheritdoc/>
    public Dataset Apply(Dataset data)
    {
        TransformChecks.Width(this, data);
        // After the first step the features are this call's own, so element-wise steps overwrite them.
        return Steps.Aggregate(data, (current, step) => PipelineSteps.Apply(step, current, data));
    }

    /// <summary>Applies to several sets at once: <c>var (train, validation, test) = fitted.Apply(a, b, c)</c>.</summary>
    public (Dataset, Dataset, Dataset) Apply(Dataset first, Dataset second, Dataset third) => (Apply(first), Apply(second), Apply(third));

    /// <summary>A pipeline's description holds its steps' descriptions as parts; see <see cref="Transforms.Restore"/>.</summary>
    public TransformDescription Describe() =>
        new(nameof(FittedPipeline), new Dictionary<string, string> { ["inputs"] = TransformDescription.Text(InputCount) },
            new Dictionary<string, float[]>()) { Parts = [.. Steps.Select(s => s.Describe())] };

    /// <summary>Value equality: the same input count and equal steps in the same order.</summary>
    public bool Equals(FittedPipeline? other) =>
        other is not null && InputCount == other.InputCount && Steps.SequenceEqual(other.Steps);

    /// <summary>A hash consistent with <see cref="Equals(FittedPipeline)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(InputCount, Steps.Length);

    /// <summary>The steps' type names joined by arrows, or "no preprocessing" with the feature count.</summary>
    public override string ToString() =>
        Steps.IsEmpty ? $"no preprocessing ({InputCount} features)" : string.Join(" → ", Steps.Select(s => s.GetType().Name));
}

/// <summary>
/// The steps the lecture teaches, as pipelines to chain:
/// <c>Preprocess.Center().Then(Preprocess.Scale()).Then(Preprocess.Pca(k: 100)).Fit(train)</c>.
/// </summary>
public static class Preprocess
{
    /// <summary>The ε of the lecture's whitening code (Xrot / np.sqrt(S + 1e-5)).</summary>
    public const double DefaultEpsilon = 1e-5;

    /// <summary>No preprocessing: the same as <see cref="Pipeline.Empty"/>.</summary>
    public static Pipeline None => Pipeline.Empty;

    /// <summary>Zero-centering: subtract the training mean (per feature unless told otherwise).</summary>
    public static Pipeline Center(Granularity? granularity = null)
    {
        var g = granularity ?? Granularity.PerFeature;
        return Pipeline.Of(new($"center ({g})", train => Centering.Fit(train, g)));
    }

    /// <summary>Normalization: divide by the training standard deviation (per feature unless told otherwise).</summary>
    public static Pipeline Scale(Granularity? granularity = null)
    {
        var g = granularity ?? Granularity.PerFeature;
        return Pipeline.Of(new($"scale ({g})", train => Scaling.Fit(train, g)));
    }

    /// <summary>Center then scale, with the same granularity: (x − μ) / σ.</summary>
    public static Pipeline Standardize(Granularity? granularity = null) => Center(granularity).Then(Scale(granularity));

    /// <summary>Projection onto the top <paramref name="k"/> principal components.</summary>
    public static Pipeline Pca(int k) => Pipeline.Of(new($"PCA (k = {k})", train => Data.Pca.Fit(train, k)));

    /// <summary>Projection onto as few principal components as retain <paramref name="fraction"/> of the variance.</summary>
    public static Pipeline PcaRetaining(double fraction) =>
        Pipeline.Of(new($"PCA ({fraction:P0} of variance)", train => Data.Pca.FitRetaining(train, fraction)));

    /// <summary>PCA whitening, keeping <paramref name="k"/> components (all when null).</summary>
    public static Pipeline PcaWhiten(int? k = null, double epsilon = DefaultEpsilon) =>
        Pipeline.Of(new($"PCA whitening (k = {(k is null ? "d" : k)}, ε = {epsilon:G3})", train => PcaWhitening.Fit(train, k, epsilon)));

    /// <summary>ZCA whitening.</summary>
    public static Pipeline ZcaWhiten(double epsilon = DefaultEpsilon) =>
        Pipeline.Of(new($"ZCA whitening (ε = {epsilon:G3})", train => ZcaWhitening.Fit(train, epsilon)));

    /// <summary>Fits on <paramref name="train"/> and applies the result to it and to <paramref name="test"/>.</summary>
    public static (Dataset Train, Dataset Test, FittedPipeline Fitted) FitApply(this Pipeline pipeline, Dataset train, Dataset test)
    {
        var fitted = pipeline.Fit(train);
        return (fitted.Apply(train), fitted.Apply(test), fitted);
    }
}
