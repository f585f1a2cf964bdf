// Zero-centering and division by the standard deviation, each fitted on training data with a chosen granularity.
using System.Numerics.Tensors;

namespace Functional.Data;

/// <summary>x ↦ x − μ, with μ the training mean per <see cref="Granularity"/> (one value, one per channel or one per feature).</summary>
public sealed record Centering : IElementwiseTransform
{
    private readonly float[] mean;

    internal Centering(Granularity granularity, int inputCount, float[] mean)
    {
        Granularity = granularity;
        InputCount = inputCount;
        this.mean = mean;
    }

    /// <summary>Whether one mean is fitted for all features, one per channel or one per feature.</summary>
    public Granularity Granularity { get; }
    /// <inheritdoc/>
    public int InputCount { get; }
    /// <inheritdoc/>
    public int OutputCount => InputCount;

    /// <summary>The subtracted means, one per group of <see cref="Granularity"/>.</summary>
    public ReadOnlySpan<float> Mean => mean;

    /// <summary>Fits the means of <paramref name="train"/>; nothing else is read.</summary>
    public static Centering Fit(Dataset train, Granularity granularity)
    {
        granularity.CheckFits(train.FeatureCount, train.Name);
        return new(granularity, train.FeatureCount, Statistics.ToFloats(Statistics.Mean(train, granularity)));
    }

    /// <inheritdoc/>
    public Dataset Apply(Dataset data)
    {
        TransformChecks.Width(this, data);
        var output = new float[data.Features.Length];
        ((IElementwiseTransform)this).Map(data, output);
        return data.WithFeatures(output);
    }

    /// <summary>x − μ, from <paramref name="data"/>'s features into <paramref name="output"/> (which may be those very features).</summary>
    void IElementwiseTransform.Map(Dataset data, float[] output) =>
        Groups.Map(data, mean, output, Granularity, static (x, m, y) => TensorPrimitives.Subtract(x, m, y), static (x, m, y) => TensorPrimitives.Subtract(x, m, y));

    /// <inheritdoc/>
    public TransformDescription Describe() => new(nameof(Centering),
        new Dictionary<string, string> { ["granularity"] = Granularity.ToString(), ["inputs"] = TransformDescription.Text(InputCount) },
        new Dictionary<string, float[]> { ["mean"] = (float[])mean.Clone() });

    /// <summary>Value equality: the same granularity, input count and fitted means.</summary>
    public bool Equals(Centering? other) =>
        other is not null && Granularity == other.Granularity && InputCount == other.InputCount && Statistics.Same(mean, other.mean);

    /// <summary>A hash consistent with <see cref="Equals(Centering)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(Granularity, InputCount, Statistics.Hash(mean));
}

/// <summary>
/// x ↦ x / σ, with σ the training standard deviation per <see cref="Granularity"/> around the training mean. A group
/// with σ = 0 (a pixel that is black in every training image) is divided by 1 instead, as scikit-learn's
/// StandardScaler does: there is no spread to normalise, and dividing by 0 would turn every such value into ∞ or NaN.
/// </summary>
public sealed record Scaling : IElementwiseTransform
{
    private readonly float[] std;

    internal Scaling(Granularity granularity, int inputCount, float[] std)
    {
        Granularity = granularity;
        InputCount = inputCount;
        this.std = std;
    }

    /// <summary>Whether one standard deviation is fitted for all features, one per channel or one per feature.</summary>
    public Granularity Granularity { get; }
    /// <inheritdoc/>
    public int InputCount { get; }
    /// <inheritdoc/>
    public int OutputCount => InputCount;

    /// <summary>The divisors, one per group (1 where the training data had no spread).</summary>
    public ReadOnlySpan<float> Std => std;

    /// <summary>Fits the standard deviations of <paramref name="train"/>; nothing else is read.</summary>
    public static Scaling Fit(Dataset train, Granularity granularity)
    {
        granularity.CheckFits(train.FeatureCount, train.Name);
        var sigma = Statistics.Std(train, granularity, Statistics.Mean(train, granularity));
        var divisors = Array.ConvertAll(sigma, s => (float)s is var f && f > 0 && float.IsNormal(f) ? f : 1f);
        return new(granularity, train.FeatureCount, divisors);
    }

    /// <inheritdoc/>
    public Dataset Apply(Dataset data)
    {
        TransformChecks.Width(this, data);
        var output = new float[data.Features.Length];
        ((IElementwiseTransform)this).Map(data, output);
        return data.WithFeatures(output);
    }

    /// <summary>x / σ, from <paramref name="data"/>'s features into <paramref name="output"/> (which may be those very features).</summary>
    void IElementwiseTransform.Map(Dataset data, float[] output) =>
        Groups.Map(data, std, output, Granularity, static (x, s, y) => TensorPrimitives.Divide(x, s, y), static (x, s, y) => TensorPrimitives.Divide(x, s, y));

    /// <inheritdoc/>
    public TransformDescription Describe() => new(nameof(Scaling),
        new Dictionary<string, string> { ["granularity"] = Granularity.ToString(), ["inputs"] = TransformDescription.Text(InputCount) },
        new Dictionary<string, float[]> { ["std"] = (float[])std.Clone() });

    /// <summary>Value equality: the same granularity, input count and fitted divisors.</summary>
    public bool Equals(Scaling? other) =>
        other is not null && Granularity == other.Granularity && InputCount == other.InputCount && Statistics.Same(std, other.std);

    /// <summary>A hash consistent with <see cref="Equals(Scaling)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(Granularity, InputCount, Statistics.Hash(std));
}

/// <summary>Applies an element-wise operation between rows and one statistic per group, whatever the granularity.</summary>
internal static class Groups
{
    public delegate void WithScalar(ReadOnlySpan<float> x, float statistic, Span<float> y);
    public delegate void WithVector(ReadOnlySpan<float> x, ReadOnlySpan<float> statistics, Span<float> y);

    public static void Map(Dataset data, float[] statistics, float[] output, Granularity granularity, WithScalar scalar, WithVector vector)
    {
        int d = data.FeatureCount, size = granularity.GroupSize(d);
        var input = data.Features;
        switch (granularity.Kind)
        {
            case GranularityKind.Scalar:
                scalar(input, statistics[0], output);
                break;
            case GranularityKind.PerFeature:
                for (int i = 0; i < data.Count; i++)
                    vector(input.Slice(i * d, d), statistics, output.AsSpan(i * d, d));
                break;
            default:
                for (int i = 0; i < data.Count; i++)
                    for (int c = 0; c < statistics.Length; c++)
                        scalar(input.Slice(i * d + c * size, size), statistics[c], output.AsSpan(i * d + c * size, size));
                break;
        }
    }
}
