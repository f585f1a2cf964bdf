// Optimizers in Optax's init/update form: hyperparameters are values, state is an immutable record.
using System.Diagnostics.Contracts;

namespace Functional.Optimizers;

/// <summary>
/// A gradient transformation: <see cref="Init"/> makes its state, <see cref="Update"/> turns a gradient into
/// parameter updates and a new state, without touching its inputs. Hyperparameters live in the optimizer
/// value itself, so schedules and searches never need new code. Every optimizer works on the flat
/// parameter block, so no network needs optimizer-specific code.
/// </summary>
public abstract record Optimizer
{
    /// <summary>The state before the first step, for <paramref name="parameterCount"/> parameters.</summary>
    [Pure] public abstract OptimizerState Init(int parameterCount);

    /// <summary>
    /// Pure form: (updates, state′) from a gradient. Apply with parameters + updates.
    /// Allocates a fresh state; <see cref="Functional.Training.TrainingLoop"/>'s fold uses <see cref="ApplyInPlace"/> on state it owns instead.
    /// </summary>
    [Pure]
    public (float[] Updates, OptimizerState State) Update(ReadOnlySpan<float> gradient, OptimizerState state, ReadOnlySpan<float> parameters)
    {
        if (gradient.Length != parameters.Length)
            throw new ArgumentException($"a gradient of {gradient.Length} for {parameters.Length} parameters", nameof(gradient));
        var next = state.Copy();
        var updates = new float[parameters.Length];
        ComputeUpdates(gradient, next, parameters, updates);
        return (updates, next);
    }

    /// <summary>Writes the updates for <paramref name="gradient"/> and advances <paramref name="owned"/>, which the caller owns.</summary>
    protected abstract void ComputeUpdates(ReadOnlySpan<float> gradient, OptimizerState owned, ReadOnlySpan<float> parameters, Span<float> updates);

    /// <summary>
    /// One fused pass: parameters += update(gradient), advancing <paramref name="owned"/> in place.
    /// Only for buffers nobody else can see (inside a fold); this is what makes a pure fold allocation-free.
    /// </summary>
    public abstract void ApplyInPlace(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState owned);

    /// <summary>
    /// Whether a fold may apply this optimizer inside backward (<see cref="TryFuse"/>), where it can. True by default;
    /// the result is the same bit for bit either way, so false only costs speed, and keeps the whole gradient written
    /// each step (for comparisons, or for code that wants to read it).
    /// </summary>
    public bool Fuse { get; init; } = true;

    /// <summary>
    /// For an update that is per element and needs no global view of the gradient (SGD, momentum): the rule bound to
    /// <paramref name="parameters"/> and the <paramref name="owned"/> state, so a generated backward can update each
    /// tensor as soon as its gradient is complete (see <see cref="FusedUpdate"/>). False when the optimizer cannot be
    /// fused or <see cref="Fuse"/> is off: the caller then writes the whole gradient and calls <see cref="ApplyInPlace"/>.
    /// Same ownership rule as <see cref="ApplyInPlace"/>.
    /// </summary>
    public bool TryFuse(Span<float> parameters, OptimizerState owned, out FusedUpdate update)
    {
        update = default;
        return Fuse && TryFuseCore(parameters, owned, out update);
    }

    /// <summary>The optimizer's own fusion, for <see cref="TryFuse"/>; none by default.</summary>
    protected virtual bool TryFuseCore(Span<float> parameters, OptimizerState owned, out FusedUpdate update)
    {
        update = default;
        return false;
    }

    /// <summary>
    /// The state whose <see cref="OptimizerState.Blocks"/> were <paramref name="blocks"/> (a checkpoint's), for
    /// <paramref name="parameterCount"/> parameters. Throws <see cref="ArgumentException"/> naming a missing or
    /// misshapen block.
    /// </summary>
    [Pure] public abstract OptimizerState Restore(int parameterCount, IReadOnlyDictionary<string, float[]> blocks);

    /// <summary>The block called <paramref name="name"/>, of <paramref name="length"/> floats, for <see cref="Restore"/>.</summary>
    protected static float[] Block(IReadOnlyDictionary<string, float[]> blocks, string name, int length) =>
        !blocks.TryGetValue(name, out var block) ? throw new ArgumentException($"no \"{name}\" block ({Held(blocks)})", nameof(blocks))
        : block.Length != length ? throw new ArgumentException($"the \"{name}\" block holds {block.Length:N0} floats, not {length:N0}", nameof(blocks))
        : (float[])block.Clone();

    private static string Held(IReadOnlyDictionary<string, float[]> blocks) =>
        blocks.Count == 0 ? "the state has none" : $"the state has {string.Join(", ", blocks.Keys.Order(StringComparer.Ordinal))}";

    /// <summary>A learning rate must be a positive finite number; the error names it as the constructors do.</summary>
    protected static float CheckLearningRate(float value) =>
        value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException("learningRate", value, "the learning rate must be a positive finite number");

    /// <summary>Throws a clear error when a state of the wrong kind or size is passed in.</summary>
    protected static TState Expect<TState>(OptimizerState state, int parameterCount, string optimizer) where TState : OptimizerState
    {
        if (state is not TState typed)
            throw new ArgumentException($"{optimizer} needs a {typeof(TState).Name}, got {state.GetType().Name}", nameof(state));
        if (typed.ParameterCount != parameterCount)
            throw new ArgumentException($"{optimizer}: state is for {typed.ParameterCount} parameters, the gradient has {parameterCount}", nameof(state));
        return typed;
    }
}

/// <summary>An optimizer's state. Immutable to its holders; <see cref="Copy"/> gives an owned copy to advance.</summary>
public abstract record OptimizerState
{
    /// <summary>The number of parameters this state is for.</summary>
    public abstract int ParameterCount { get; }
    /// <summary>An owned copy, safe to advance in place (a stateless state may return itself).</summary>
    [Pure] public abstract OptimizerState Copy();

    /// <summary>The state's numbers as named blocks (momentum's "velocity"), for checkpoints; <see cref="Optimizer.Restore"/> reads them back.</summary>
    public virtual IReadOnlyDictionary<string, ReadOnlyMemory<float>> Blocks { get; } = new Dictionary<string, ReadOnlyMemory<float>>();
}
