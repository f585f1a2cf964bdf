// The contract between generated network records and the runtime's training and evaluation code.
using Functional.Data;

namespace Functional;

/// <summary>
/// Implemented by the generator for every <c>[Network]</c> record. Static members describe the shape and run
/// the emitted kernels; the runtime's fold and evaluation are written once against this interface.
/// </summary>
public interface INetwork<TSelf> where TSelf : class, INetwork<TSelf>
{
    static abstract int InputCount { get; }
    static abstract int ClassCount { get; }
    static abstract int ParameterCount { get; }

    /// <summary>Names, shapes and offsets of the layers in the parameter block (for monitoring and diagnostics).</summary>
    static abstract NetworkLayout Layout { get; }

    /// <summary>Wraps a block of <see cref="ParameterCount"/> floats; the caller hands over ownership.</summary>
    static abstract TSelf FromParameters(float[] parameters);

    /// <summary>The parameter block every layer is a view of.</summary>
    ReadOnlyMemory<float> Parameters { get; }

    /// <summary>Buffers for batches of up to <paramref name="maxBatch"/> rows.</summary>
    static abstract Workspace CreateWorkspace(int maxBatch);

    /// <summary>
    /// Training forward, loss (plus ½λ‖W‖² when <paramref name="l2"/> ≠ 0) and backward on one batch; writes
    /// ∂loss/∂parameters into <paramref name="gradient"/>. Allocates nothing.
    /// </summary>
    static abstract BatchResult ComputeGradient(ReadOnlySpan<float> parameters, Batch batch, float l2, Span<float> gradient, Workspace workspace);

    /// <summary>Inference forward: scores [count, ClassCount] for inputs [count, InputCount].</summary>
    static abstract void Infer(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, int count, Span<float> scores, Workspace workspace);

    /// <summary>The data loss of precomputed scores (no penalty), and how many were classified correctly.</summary>
    static abstract Kernels.LossResult ScoreLoss(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int count);

    /// <summary>The same loss computed naively in double precision: the reference for gradient checks.</summary>
    static abstract double ReferenceLoss(ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int count, double l2);
}

/// <summary>What one training batch produced: mean loss (with penalty) and correct predictions out of Count.</summary>
public readonly record struct BatchResult(float Loss, int Correct, int Count);

/// <summary>One layer's place in the parameter block.</summary>
public sealed record LayerLayout(string Name, int Inputs, int Outputs, int WeightsOffset, int BiasOffset)
{
    public int WeightCount => Inputs * Outputs;
}

/// <summary>The whole network's parameter layout, in declaration order.</summary>
public sealed record NetworkLayout(string Name, int Inputs, int Classes, IReadOnlyList<LayerLayout> Layers)
{
    public int ParameterCount => Layers.Sum(l => l.WeightCount + l.Outputs);
}

/// <summary>
/// Scratch buffers a generated network's kernels write into: the gathered batch, saved activations, gradients.
/// Owned by one fold (or one call) at a time; never visible to users as state.
/// </summary>
public abstract class Workspace(int maxBatch, int inputs, int classes)
{
    public int MaxBatch { get; } = maxBatch;
    public float[] Input { get; } = new float[maxBatch * inputs];
    public int[] Labels { get; } = new int[maxBatch];
    public float[] Scores { get; } = new float[maxBatch * classes];
    public float[] ScoresGradient { get; } = new float[maxBatch * classes];
}
