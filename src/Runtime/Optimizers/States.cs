// The state shapes transformations share: none, or a few named blocks laid out like the parameters.
namespace Functional.Optimizers;

/// <summary>The state of a transformation that keeps nothing but its step count.</summary>
public sealed record StatelessState : OptimizerState
{
    internal StatelessState(int parameterCount) : base(parameterCount) { }

    private protected override OptimizerState Duplicate() => new StatelessState(ParameterCount);
}

/// <summary>
/// A state of named blocks with one float per parameter, laid out like the parameter block (momentum's velocity,
/// Adam's moments). Only an owned copy inside an optimizer step writes them.
/// </summary>
public abstract record MomentsState : OptimizerState
{
    private readonly string[] names;

    private protected MomentsState(int parameterCount, string[] names, float[][] buffers) : base(parameterCount)
    {
        this.names = names;
        Buffers = buffers;
    }

    /// <summary>The blocks, in the order of their names.</summary>
    internal float[][] Buffers { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, ReadOnlyMemory<float>> Blocks =>
        names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (ReadOnlyMemory<float>)Buffers[p.i], StringComparer.Ordinal);

    private protected override void Load(BlockReader blocks)
    {
        for (int i = 0; i < names.Length; i++) Buffers[i] = blocks.Read(names[i], ParameterCount);
    }

    private protected override OptimizerState Duplicate() => With(Buffers.Select(b => (float[])b.Clone()).ToArray());

    /// <summary>The same kind of state over <paramref name="buffers"/>.</summary>
    private protected abstract MomentsState With(float[][] buffers);
}
