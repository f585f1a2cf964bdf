// Optimizers in Optax's form: small gradient transformations with immutable states, chained; hyperparameters are values.
using System.Diagnostics.Contracts;
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>
/// A gradient transformation (Optax's <c>GradientTransformation</c>): <see cref="Init(NetworkLayout)"/> makes its
/// state, <see cref="Update"/> turns a gradient into parameter updates and a new state without touching its inputs.
/// Every optimizer is one of these or a <see cref="Chain"/> of them: Adam is <c>Chain(ScaleByAdam, ScaleByLearningRate)</c>
/// (see the constructors on this type and <see cref="Sgd"/>). Hyperparameters live in the value itself, checked on every
/// construction and <c>with</c>, so schedules and searches never need new code; every transformation works on the flat
/// parameter block, so no network needs optimizer-specific code.
/// <para>
/// Transformations that act on each element alone (all but <see cref="ClipByGlobalNorm"/>) can be fused into backward:
/// a fold applies them tensor by tensor while each gradient is still in cache (<see cref="TryFuse"/>), with the same
/// result bit for bit as <see cref="Update"/> followed by θ + u.
/// </para>
/// </summary>
public abstract partial record Optimizer
{
    private protected Optimizer() { }

    /// <summary>The state before the first step, for a flat block of <paramref name="parameterCount"/> parameters (no tensor kinds known: a weight-decay mask other than <see cref="TensorKinds.All"/> needs <see cref="Init(NetworkLayout)"/>).</summary>
    [Pure] public OptimizerState Init(int parameterCount) => Init(Positive(parameterCount), null);

    /// <summary>The state before the first step for the parameters of a network with <paramref name="layout"/>.</summary>
    [Pure] public OptimizerState Init(NetworkLayout layout) => Init(layout.ParameterCount, layout);

    private protected abstract OptimizerState Init(int parameterCount, NetworkLayout? layout);

    /// <summary>
    /// The state <paramref name="stepCount"/> updates into a run whose <see cref="OptimizerState.Blocks"/> were
    /// <paramref name="blocks"/> (a checkpoint's), for the network of <paramref name="layout"/>. Throws
    /// <see cref="ArgumentException"/> naming a missing, unexpected or misshapen block.
    /// </summary>
    [Pure]
    public OptimizerState Restore(NetworkLayout layout, IReadOnlyDictionary<string, float[]> blocks, long stepCount) =>
        Restore(layout.ParameterCount, layout, blocks, stepCount);

    /// <summary><see cref="Restore(NetworkLayout, IReadOnlyDictionary{string, float[]}, long)"/> for a flat block of <paramref name="parameterCount"/> parameters.</summary>
    [Pure]
    public OptimizerState Restore(int parameterCount, IReadOnlyDictionary<string, float[]> blocks, long stepCount) =>
        Restore(Positive(parameterCount), null, blocks, stepCount);

    private OptimizerState Restore(int parameterCount, NetworkLayout? layout, IReadOnlyDictionary<string, float[]> blocks, long stepCount)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var state = Restore(parameterCount, layout, new BlockReader(blocks, "", used), stepCount);
        var extra = blocks.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToArray();
        return extra.Length == 0 ? state
            : throw new ArgumentException($"{Structure} keeps no {string.Join(", ", extra.Select(e => $"\"{e}\""))} block ({BlockReader.Held(blocks)})", nameof(blocks));
    }

    private protected virtual OptimizerState Restore(int parameterCount, NetworkLayout? layout, BlockReader blocks, long stepCount)
    {
        var state = Init(parameterCount, layout);
        state.LoadFrom(blocks);
        state.SetCount(stepCount);
        return state;
    }

    /// <summary>
    /// What this transformation is, without its hyperparameters ("trace → scale_by_learning_rate"): a checkpoint records it,
    /// and refuses to resume with a different one, whose state would not fit.
    /// </summary>
    public abstract string Structure { get; }

    /// <summary>
    /// Pure form: (updates u, state′) from a gradient; apply with θ + u (<see cref="Apply"/>). Allocates a fresh state
    /// and updates; <see cref="Functional.Training.TrainingLoop"/>'s fold advances a state it owns in place instead.
    /// </summary>
    [Pure]
    public (float[] Updates, OptimizerState State) Update(ReadOnlySpan<float> gradient, OptimizerState state, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(state);
        Expect(state, gradient.Length, parameters.Length);
        var next = state.Copy();
        var updates = gradient.ToArray();
        var bound = Bind(next);
        bound.Begin();
        UpdatePass.Transform(bound, updates, parameters);
        return (updates, next);
    }

    /// <summary>θ + u, the parameters after <see cref="Update"/>'s updates (the same additions the in-place paths make).</summary>
    [Pure]
    public static float[] Apply(ReadOnlySpan<float> parameters, ReadOnlySpan<float> updates)
    {
        if (parameters.Length != updates.Length) throw new ArgumentException($"{updates.Length} updates for {parameters.Length} parameters", nameof(updates));
        var next = new float[parameters.Length];
        System.Numerics.Tensors.TensorPrimitives.Add(parameters, updates, next);
        return next;
    }

    /// <summary>
    /// One step in place: θ ← θ + u(g), advancing <paramref name="owned"/>. Only for buffers nobody else can see (inside
    /// a fold); allocation-free after the first call with a given state, which is what makes a pure fold allocation-free.
    /// </summary>
    public void ApplyInPlace(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState owned)
    {
        ArgumentNullException.ThrowIfNull(owned);
        Expect(owned, gradient.Length, parameters.Length);
        var bound = owned.BindingFor(this);
        bound.Begin();
        var updates = bound.Scratch(gradient.Length);
        gradient.CopyTo(updates);
        UpdatePass.Apply(bound, updates, parameters);
    }

    /// <summary>
    /// Whether a fold may apply this optimizer inside backward (<see cref="TryFuse"/>) where it can. True by default; the
    /// result is the same bit for bit either way, so false only costs speed, and keeps the whole gradient written each
    /// step (for comparisons, or for code that wants to read it).
    /// </summary>
    public bool Fuse { get; init; } = true;

    /// <summary>
    /// Prepares one fused step: when every transformation in this optimizer acts on each element alone and
    /// <see cref="Fuse"/> is on, advances <paramref name="owned"/>'s step count and gives the rule bound to
    /// <paramref name="parameters"/> and <paramref name="owned"/>, so a generated backward can update each tensor as soon
    /// as its gradient is complete (<see cref="FusedUpdate"/>). Call it once per step, before that step's backward. False
    /// (and nothing advanced) otherwise: the caller then writes the whole gradient and calls <see cref="ApplyInPlace"/>.
    /// Same ownership rule as <see cref="ApplyInPlace"/>.
    /// </summary>
    public bool TryFuse(Span<float> parameters, OptimizerState owned, out FusedUpdate update)
    {
        ArgumentNullException.ThrowIfNull(owned);
        update = default;
        Expect(owned, parameters.Length, parameters.Length);
        if (!Fuse || parameters.IsEmpty) return false;
        var bound = owned.BindingFor(this);
        if (!bound.IsElementwise) return false;
        bound.Begin();
        update = new FusedUpdate(parameters, 0, bound);
        return true;
    }

    /// <summary>
    /// The learning rate the next step from <paramref name="state"/> will use: the schedule's value at its step count, times
    /// any <see cref="ReduceOnPlateau"/> scale; null when this optimizer has no learning rate (a lone transformation).
    /// </summary>
    [Pure] public virtual float? CurrentLearningRate(OptimizerState state) => null;

    /// <summary>The same optimizer with its learning-rate schedule replaced by <paramref name="schedule"/>; throws when it has none.</summary>
    [Pure]
    public Optimizer WithSchedule(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return Replace(schedule) ?? throw new InvalidOperationException($"{Structure} has no learning rate to schedule");
    }

    /// <summary>The same optimizer with a constant learning rate <paramref name="learningRate"/> (a positive finite number).</summary>
    [Pure] public Optimizer WithLearningRate(float learningRate) => WithSchedule(Schedule.Constant(learningRate));

    /// <summary>This transformation with its schedule replaced, or null when it has none.</summary>
    private protected virtual Optimizer? Replace(Schedule schedule) => null;

    /// <summary>
    /// <paramref name="state"/> after a validation <paramref name="metric"/> (lower is better) was seen at the end of an
    /// epoch: a <see cref="ReduceOnPlateau"/> in this optimizer updates its scale; every other state stays as it is.
    /// </summary>
    [Pure]
    public virtual OptimizerState Observe(OptimizerState state, double metric) => state;

    /// <summary>Binds this transformation to an owned <paramref name="state"/> of its own kind; see <see cref="OptimizerState.BindingFor"/>.</summary>
    internal abstract BoundTransform Bind(OptimizerState state);

    private void Expect(OptimizerState state, int gradient, int parameters)
    {
        if (gradient != parameters)
            throw new ArgumentException($"a gradient of {gradient} for {parameters} parameters", nameof(gradient));
        if (state.ParameterCount != parameters)
            throw new ArgumentException($"{Structure}: the state is for {state.ParameterCount} parameters, the gradient has {parameters}", nameof(state));
    }

    private static int Positive(int parameterCount) =>
        parameterCount > 0 ? parameterCount : throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, "an optimizer needs at least one parameter");

    /// <summary>The state as its transformation's own kind, or a clear error naming both.</summary>
    private protected TState Own<TState>(OptimizerState state) where TState : OptimizerState =>
        state as TState ?? throw new ArgumentException($"{Structure} needs a {typeof(TState).Name}, got {state.GetType().Name}", nameof(state));
}

/// <summary>
/// An optimizer's state. Immutable to its holders; <see cref="Copy"/> gives an owned copy that an optimizer step may
/// advance in place. Every state counts the updates it has seen (<see cref="StepCount"/>), which schedules and bias
/// corrections read.
/// </summary>
public abstract record OptimizerState
{
    private protected OptimizerState(int parameterCount) => ParameterCount = parameterCount;

    /// <summary>The number of parameters this state is for.</summary>
    public int ParameterCount { get; }

    /// <summary>How many updates this state has seen (Optax's <c>count</c>).</summary>
    public long StepCount { get; private set; }

    /// <summary>An owned copy, safe to advance in place.</summary>
    [Pure]
    public OptimizerState Copy()
    {
        var copy = Duplicate();
        copy.StepCount = StepCount;
        copy.binding = null;
        return copy;
    }

    /// <summary>This state, or the first link's of a chain, that is a <typeparamref name="TState"/> (e.g. <c>Find&lt;AdamState&gt;()</c> for Adam's moments); null when there is none.</summary>
    [Pure] public virtual TState? Find<TState>() where TState : OptimizerState => this as TState;

    /// <summary>A copy of this state's numbers (new arrays), before the step count is carried over.</summary>
    private protected abstract OptimizerState Duplicate();

    /// <summary>The state's numbers as named blocks (momentum's "velocity", Adam's "m" and "v"), for checkpoints; <see cref="Optimizer.Restore(NetworkLayout, IReadOnlyDictionary{string, float[]}, long)"/> reads them back.</summary>
    public virtual IReadOnlyDictionary<string, ReadOnlyMemory<float>> Blocks => new Dictionary<string, ReadOnlyMemory<float>>();

    /// <summary>Reads this state's blocks back from a checkpoint (over a fresh <c>Init</c>).</summary>
    private protected virtual void Load(BlockReader blocks) { }

    internal void LoadFrom(BlockReader blocks) => Load(blocks);

    internal virtual void SetCount(long count) => StepCount = count;

    /// <summary>Counts one more update (the bound step's <see cref="BoundTransform.Begin"/>).</summary>
    internal long Advance() => ++StepCount;

    // One binding per owned state and optimizer, made on first use and kept: this is what lets a fold step without allocating.
    private (Optimizer Optimizer, BoundTransform Bound)? binding;

    internal BoundTransform BindingFor(Optimizer optimizer)
    {
        if (binding is { } b && ReferenceEquals(b.Optimizer, optimizer)) return b.Bound;
        var bound = optimizer.Bind(this);
        binding = (optimizer, bound);
        return bound;
    }
}

/// <summary>A checkpoint's blocks as one transformation of a chain sees them: its own names under the chain's prefix.</summary>
internal sealed class BlockReader(IReadOnlyDictionary<string, float[]> blocks, string prefix, HashSet<string> used)
{
    public BlockReader Under(string inner) => new(blocks, prefix + inner, used);

    /// <summary>The block called <paramref name="name"/>, of <paramref name="length"/> floats, copied.</summary>
    public float[] Read(string name, int length)
    {
        string key = prefix + name;
        if (!blocks.TryGetValue(key, out var block)) throw new ArgumentException($"no \"{key}\" block ({Held(blocks)})", nameof(blocks));
        if (block.Length != length) throw new ArgumentException($"the \"{key}\" block holds {block.Length:N0} floats, not {length:N0}", nameof(blocks));
        used.Add(key);
        return (float[])block.Clone();
    }

    public static string Held(IReadOnlyDictionary<string, float[]> blocks) =>
        blocks.Count == 0 ? "the state has none" : $"the state has {string.Join(", ", blocks.Keys.Order(StringComparer.Ordinal))}";
}
