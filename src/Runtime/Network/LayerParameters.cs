// The base of every layer's parameter view: the parameter and buffer blocks a network's layers are all views of.
namespace Functional;

/// <summary>
/// What every layer's parameter view has: the one parameter block and buffer block all the network's layers are views
/// of. A generated record checks with <see cref="SharesBlockWith"/> that its layers are views of the same blocks.
/// </summary>
public abstract class LayerParameters
{
    /// <summary>Views of <paramref name="parameters"/> and <paramref name="buffers"/>, which the subclass checks its tensors fit.</summary>
    private protected LayerParameters(float[] parameters, float[] buffers)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(buffers);
        Parameters = parameters;
        Buffers = buffers;
    }

    private protected float[] Parameters { get; }
    private protected float[] Buffers { get; }

    /// <summary>The whole parameter block this view is part of.</summary>
    public ReadOnlyMemory<float> Block => Parameters;

    /// <summary>The whole buffer block (non-trained state such as batch-norm statistics); empty when the network has none.</summary>
    public ReadOnlyMemory<float> BufferBlock => Buffers;

    /// <summary>Whether both views are of the same parameter and buffer blocks.</summary>
    public bool SharesBlockWith(LayerParameters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(Parameters, other.Parameters) && ReferenceEquals(Buffers, other.Buffers);
    }

    private protected static void Fits(float[] block, int offset, int count, string part)
    {
        if (offset < 0) return;
        if ((long)offset + count > block.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{part} ({count} floats at {offset}) does not fit a block of {block.Length}");
    }

    private protected static ReadOnlySpan<float> View(float[] block, int offset, int count) => offset < 0 ? default : block.AsSpan(offset, count);
}
