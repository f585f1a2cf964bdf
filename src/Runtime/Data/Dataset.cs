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
    /// <summary>The number of samples.</summary>
    public int Count => labels.Length;
    /// <summary>Features per sample.</summary>
    public int FeatureCount { get; }
    /// <summary>Classes the labels range over: every label is in [0, ClassCount).</summary>
    public int ClassCount { get; }
    /// <summary>All features, row-major [Count, FeatureCount].</summary>
    public ReadOnlySpan<float> Features => features;
    /// <summary>One label per sample, in [0, <see cref="ClassCount"/>).</summary>
    public ReadOnlySpan<int> Labels => labels;
    /// <summary>The features' array itself, for a transform writing a set that only it holds (<see cref="PipelineSteps"/>).</summary>
    internal float[] FeatureArray => features;
    /// <summary>Whether this set's features are <paramref name="other"/>'s very array.</summary>
    internal bool SharesFeatures(Dataset other) => ReferenceEquals(features, other.features);
    /// <summary>The features of sample <paramref name="index"/>.</summary>
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
        int bad = Finite.IndexOfNonFinite(features);
        if (bad >= 0)
            return Error.New($"{name}: row {bad / featureCount}, feature {bad % featureCount} is {features[bad]} (features must be finite)");
        return new Dataset(name, features, labels, featureCount, classCount);
    }


    /// <summary>The same rows and labels with transformed features of the same shape (taking ownership of <paramref name="newFeatures"/>).</summary>
    public Dataset WithFeatures(float[] newFeatures)
    {
        if (newFeatures.Length != features.Length)
            throw new ArgumentException($"{Name}: {newFeatures.Length} feature values do not fit {Count} rows of {FeatureCount}", nameof(newFeatures));
        if (Finite.IndexOfNonFinite(newFeatures) is var bad and >= 0)
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

    /// <summary>The name, the shape and the class count, for reports.</summary>
    public override string ToString() => $"{Name}: {Count} × {FeatureCount}, {ClassCount} classes";
}

/// <summary>A mini-batch: which rows of <see cref="Source"/> it holds.</summary>
public readonly record struct Batch(Dataset Source, ReadOnlyMemory<int> Rows)
{
    /// <summary>The number of rows in the batch.</summary>
    public int Count => Rows.Length;

    /// <summary>
    /// Copies the batch's features into <paramref name="features"/> and labels into <paramref name="labels"/>.
    /// Rows are random picks from a data set far larger than the caches, so each copy waits on memory: the copy asks
    /// for the rows <see cref="Lookahead"/> ahead before copying one, and a batch of more than
    /// <see cref="ParallelFloats"/> floats is split over the pool's threads, so more rows are in flight at once.
    /// </summary>
    public unsafe void Gather(Span<float> features, Span<int> labels)
    {
        int width = Source.FeatureCount, count = Rows.Length;
        if (features.Length < count * width || labels.Length < count)
            throw new ArgumentException($"a batch of {count} × {width} needs {count * width} features and {count} labels; got {features.Length} and {labels.Length}");
        foreach (int row in Rows.Span)
            if ((uint)row >= (uint)Source.Count)
                throw new ArgumentOutOfRangeException(nameof(Rows), row, $"the batch names row {row} of {Source.Name}, which has {Source.Count} rows");
        fixed (float* all = Source.Features, target = features)
        fixed (int* allLabels = Source.Labels, targetLabels = labels, rows = Rows.Span)
        {
            var job = new GatherJob(all, allLabels, rows, target, targetLabels, count, width);
            int chunks = (long)count * width > ParallelFloats ? Math.Min(count, Kernels.Parallelism.Threads) : 1;
            if (chunks == 1) job.Run(0, 1);
            else Kernels.Parallelism.Run(ref job, chunks);
        }
    }

    /// <summary>Rows asked for ahead of the copy.</summary>
    private const int Lookahead = 2;

    /// <summary>Batches above this many floats (128 KB) are gathered on several threads.</summary>
    private const int ParallelFloats = 32 * 1024;

    /// <summary>Copies rows [first, last) of the chunk's share; chunks write disjoint rows.</summary>
    private readonly unsafe struct GatherJob(float* all, int* allLabels, int* rows, float* target, int* targetLabels, int count, int width) : Kernels.IParallelJob
    {
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Kernels.Parallelism.Range(count, chunk, chunks);
            for (int i = first; i < Math.Min(first + Lookahead, last); i++) Prefetch(all + (nint)rows[i] * width, width);
            for (int i = first; i < last; i++)
            {
                if (i + Lookahead < last) Prefetch(all + (nint)rows[i + Lookahead] * width, width);
                new ReadOnlySpan<float>(all + (nint)rows[i] * width, width).CopyTo(new Span<float>(target + (nint)i * width, width));
                targetLabels[i] = allLabels[rows[i]];
            }
        }
    }

    /// <summary>A cache hint for every line of a row; no effect on results.</summary>
    private static unsafe void Prefetch(float* row, int width)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        for (int i = 0; i < width; i += 16) System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + i);
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + width - 1);
    }
}
