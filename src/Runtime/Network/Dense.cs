// A dense layer's parameters: a named, read-only view of W and b inside the network's one parameter block.
namespace Functional;

/// <summary>
/// The weights W [Inputs, Outputs] (row-major) and bias b [Outputs] of one dense layer, as a view into the
/// network's contiguous parameter block. Views are read-only: training never changes a model it was given,
/// it returns a new one.
/// </summary>
public sealed class Dense
{
    private readonly float[] block;

    /// <summary>A view of W at <paramref name="offset"/> followed by b, inside <paramref name="block"/>.</summary>
    public Dense(float[] block, int offset, int inputs, int outputs)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (inputs <= 0 || outputs <= 0) throw new ArgumentOutOfRangeException(nameof(inputs), $"a dense layer needs positive widths, got {inputs} → {outputs}");
        if (offset < 0 || (long)offset + (long)inputs * outputs + outputs > block.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"a {inputs}→{outputs} layer at offset {offset} does not fit a block of {block.Length} floats");
        this.block = block;
        Offset = offset;
        Inputs = inputs;
        Outputs = outputs;
    }

    public int Offset { get; }
    public int Inputs { get; }
    public int Outputs { get; }

    /// <summary>W as [Inputs, Outputs], row-major.</summary>
    public ReadOnlySpan<float> Weights => block.AsSpan(Offset, Inputs * Outputs);

    /// <summary>b, [Outputs].</summary>
    public ReadOnlySpan<float> Bias => block.AsSpan(Offset + Inputs * Outputs, Outputs);

    /// <summary>The whole parameter block this view is part of.</summary>
    public ReadOnlyMemory<float> Block => block;

    /// <summary>Whether both views are of the same parameter block.</summary>
    public bool SharesBlockWith(Dense other) => ReferenceEquals(block, other.block);

    public override string ToString() => $"Dense {Inputs} → {Outputs} at {Offset}";
}
