// An immutable, validated set of labelled samples held in memory, with seeded splits and mini-batches.
using LanguageExt;
using LanguageExt.Common;

namespace Functional.Data;

/// <summary>
/// Samples as one row-major block of features [Count, FeatureCount] and their labels in [0, ClassCount).
/// Immutable: splits and subsets copy the rows they keep.
/// </summary>
public sealed class Dataset
{
    private readonly float[] features;
    private readonly int[] labels;

    private Dataset(string name, float[] features, int[] labels, int featureCount, int classCount)
    {
        Name = name;
        this.features = features;
        this.labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>Where the samples came from (a file name, or "train", "validation" …): used in errors and reports.</summary>
    public string Name { get; }
    public int Count => labels.Length;
    public int FeatureCount { get; }
    public int ClassCount { get; }
    public ReadOnlySpan<float> Features => features;
    public ReadOnlySpan<int> Labels => labels;
    public ReadOnlySpan<float> Row(int index) => features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>
    /// Checks and wraps samples, taking ownership of the arrays. Fails with an error naming <paramref name="name"/>
    /// and the row for an empty set, a shape mismatch, a non-finite feature or a label out of range.
    /// </summary>
    public static Fin<Dataset> Create(string name, float[] features, int[] labels, int featureCount, int classCount)
    {
        if (featureCount <= 0) return Error.New($"{name}: feature count must be positive, got {featureCount}");
        if (classCount < 2) return Error.New($"{name}: a classifier needs at least 2 classes, got {classCount}");
        if (labels.Length == 0) return Error.New($"{name}: the data set is empty");
        if ((long)labels.Length * featureCount != features.Length)
            return Error.New($"{name}: {labels.Length} labels but {features.Length} feature values, which is not {labels.Length} rows of {featureCount}");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classCount)
                return Error.New($"{name}: row {i} has label {labels[i]}, outside 0..{classCount - 1}");
        int bad = FirstNonFinite(features);
        if (bad >= 0)
            return Error.New($"{name}: row {bad / featureCount}, feature {bad % featureCount} is {features[bad]} (features must be finite)");
        return new Dataset(name, features, labels, featureCount, classCount);
    }

    private static int FirstNonFinite(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>The same rows and labels with transformed features of the same shape (taking ownership of <paramref name="newFeatures"/>).</summary>
    public Dataset WithFeatures(float[] newFeatures)
    {
        if (newFeatures.Length != features.Length)
            throw new ArgumentException($"{Name}: {newFeatures.Length} feature values do not fit {Count} rows of {FeatureCount}", nameof(newFeatures));
        if (FirstNonFinite(newFeatures) is var bad and >= 0)
            throw new ArgumentException($"{Name}: transformed row {bad / FeatureCount}, feature {bad % FeatureCount} is {newFeatures[bad]}", nameof(newFeatures));
        return new Dataset(Name, newFeatures, labels, FeatureCount, ClassCount);
    }

    /// <summary>The rows at <paramref name="indices"/>, in that order, as a new set.</summary>
    public Dataset Subset(ReadOnlySpan<int> indices, string name)
    {
        var f = new float[indices.Length * FeatureCount];
        var l = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Row(indices[i]).CopyTo(f.AsSpan(i * FeatureCount, FeatureCount));
            l[i] = labels[indices[i]];
        }
        return new Dataset(name, f, l, FeatureCount, ClassCount);
    }

    /// <summary>The first <paramref name="count"/> rows.</summary>
    public Dataset Take(int count) => Subset(Enumerable.Range(0, Math.Min(count, Count)).ToArray(), $"{Name}[..{count}]");

    /// <summary>A seeded hold-out split: <paramref name="validationCount"/> random rows for validation, the rest for training.</summary>
    public (Dataset Train, Dataset Validation) Split(int validationCount, int seed)
    {
        if (validationCount <= 0 || validationCount >= Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"must be between 1 and {Count - 1} for {Name} of {Count} rows");
        var order = new SeededRandom(seed).Permutation(Count);
        var validation = order.AsSpan(0, validationCount);
        var train = order.AsSpan(validationCount);
        // Keep each part in file order: the split is random, the order inside it is not (batching shuffles anyway).
        validation.Sort();
        train.Sort();
        return (Subset(train, $"{Name} (train)"), Subset(validation, $"{Name} (validation)"));
    }

    /// <summary>
    /// One epoch of mini-batches in a seeded random order; the last batch holds the remainder (like PyTorch's
    /// default drop_last=False). Batches refer to rows; nothing is copied until a kernel gathers them.
    /// </summary>
    public IEnumerable<Batch> Batches(int size, int seed)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "batch size must be positive");
        var order = new SeededRandom(seed).Permutation(Count);
        for (int start = 0; start < order.Length; start += size)
            yield return new Batch(this, order.AsMemory(start, Math.Min(size, order.Length - start)));
    }

    public override string ToString() => $"{Name}: {Count} × {FeatureCount}, {ClassCount} classes";
}

/// <summary>A mini-batch: which rows of <see cref="Source"/> it holds.</summary>
public readonly record struct Batch(Dataset Source, ReadOnlyMemory<int> Rows)
{
    public int Count => Rows.Length;

    /// <summary>Copies the batch's features into <paramref name="features"/> and labels into <paramref name="labels"/>.</summary>
    public void Gather(Span<float> features, Span<int> labels)
    {
        int width = Source.FeatureCount;
        var rows = Rows.Span;
        var all = Source.Features;
        var allLabels = Source.Labels;
        for (int i = 0; i < rows.Length; i++)
        {
            all.Slice(rows[i] * width, width).CopyTo(features.Slice(i * width, width));
            labels[i] = allLabels[rows[i]];
        }
    }
}
