// The contract of a fitted preprocessing step: apply it to any set, and describe it so it can be saved with a model.
using System.Globalization;

namespace Functional.Data;

/// <summary>
/// A preprocessing step whose statistics were fitted on training data. Immutable: applying it to train,
/// validation and test sets alike is what keeps held-out statistics out of training. <see cref="Apply"/> treats
/// rows independently, so a row's output never depends on the other rows of the set it is applied to.
/// </summary>
public interface ITransform
{
    /// <summary>Features a row must have (the training set's count when this was fitted).</summary>
    int InputCount { get; }

    /// <summary>Features a row has afterwards (fewer for PCA with k &lt; d).</summary>
    int OutputCount { get; }

    /// <summary>A new data set with the same rows and labels and transformed features; <paramref name="data"/> is unchanged.</summary>
    Dataset Apply(Dataset data);

    /// <summary>Kind, settings and parameter arrays: everything <see cref="Transforms.Restore"/> needs to rebuild it.</summary>
    TransformDescription Describe();
}

/// <summary>
/// A transform that maps each feature on its own, keeping the width (centering, scaling): it can overwrite a set's
/// features where they lie. <see cref="FittedPipeline"/> and <see cref="Pipeline.FitTransform"/> use it on the sets
/// they made themselves and nobody else holds, so a standardisation copies the training set once, not twice.
/// </summary>
internal interface IElementwiseTransform : ITransform
{
    /// <summary>Writes <paramref name="data"/>'s transformed features into <paramref name="output"/>, which may be <paramref name="data"/>'s own array.</summary>
    void Map(Dataset data, float[] output);
}

/// <summary>How a pipeline applies its steps one after another.</summary>
internal static class PipelineSteps
{
    /// <summary>
    /// <paramref name="step"/> applied to <paramref name="current"/>; in place when the features are no longer
    /// <paramref name="input"/>'s (a set an earlier step made, held by nobody else) and the step maps them one by one.
    /// </summary>
    public static Dataset Apply(ITransform step, Dataset current, Dataset input)
    {
        if (step is not IElementwiseTransform elementwise || current.SharesFeatures(input)) return step.Apply(current);
        TransformChecks.Width(step, current);
        var features = current.FeatureArray;
        elementwise.Map(current, features);
        return current.WithFeatures(features);
    }
}

/// <summary>
/// A fitted transform as data: <see cref="Kind"/> names the record type, <see cref="Settings"/> holds its scalar
/// settings as invariant-culture text, <see cref="Arrays"/> its fitted parameters. Model files store it (settings as
/// JSON, arrays as raw floats), so adding a setting or an array to a transform never changes the file format.
/// </summary>
public sealed record TransformDescription(string Kind, IReadOnlyDictionary<string, string> Settings, IReadOnlyDictionary<string, float[]> Arrays)
{
    /// <summary>The descriptions of the steps of a composite transform (a <see cref="FittedPipeline"/>), in order.</summary>
    public IReadOnlyList<TransformDescription> Parts { get; init; } = [];

    internal static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    internal static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Thrown by <see cref="ITransform.Apply"/> for a set of the wrong width: a programming error, not bad data.</summary>
internal static class TransformChecks
{
    public static void Width(ITransform transform, Dataset data)
    {
        if (data.FeatureCount != transform.InputCount)
            throw new ArgumentException($"{data.Name} has {data.FeatureCount} features, but this {transform.GetType().Name} " +
                                        $"was fitted on rows of {transform.InputCount}", nameof(data));
    }
}
