// Transformations in sequence (Optax's chain), and the optimizers people reach for, built as chains.
using System.Collections.Immutable;

namespace Functional.Optimizers;

/// <summary>
/// Transformations applied one after another to the same update (Optax's <c>chain</c>): each sees what the one
/// before it produced. Nested chains are flattened. Fusable when every link is elementwise.
/// </summary>
public sealed record Chain : Optimizer
{
    /// <summary>The chain of <paramref name="links"/>, in order.</summary>
    public Chain(IEnumerable<Optimizer> links)
    {
        ArgumentNullException.ThrowIfNull(links);
        Links = [.. links.SelectMany(l => l is Chain c ? c.Links : [l ?? throw new ArgumentNullException(nameof(links), "a chain link is null")])];
        if (Links.IsEmpty) throw new ArgumentException("a chain needs at least one transformation", nameof(links));
    }

    /// <summary>The transformations, in the order they apply.</summary>
    public ImmutableArray<Optimizer> Links { get; }

    /// <inheritdoc/>
    public override string Structure => string.Join(" → ", Links.Select(l => l.Structure));

    /// <summary>Chains are equal when their links are (and <see cref="Optimizer.Fuse"/> agrees).</summary>
    public bool Equals(Chain? other) => other is not null && Fuse == other.Fuse && Links.SequenceEqual(other.Links);

    /// <inheritdoc/>
    public override int GetHashCode() => Links.Aggregate(Fuse.GetHashCode(), (h, l) => HashCode.Combine(h, l));

    /// <inheritdoc/>
    public override float? CurrentLearningRate(OptimizerState state)
    {
        var links = Own<ChainState>(state).Links;
        float? rate = null;
        for (int i = 0; i < Links.Length; i++)
            if (Links[i] is ScaleByLearningRate) rate = (rate ?? 1f) * Links[i].CurrentLearningRate(links[i]);
        for (int i = 0; rate is not null && i < Links.Length; i++)
            if (Links[i] is ReduceOnPlateau plateau) rate *= plateau.Scale(links[i]);
        return rate;
    }

    private protected override Optimizer? Replace(Schedule schedule)
    {
        var replaced = Links.Select(l => l is ScaleByLearningRate s ? s with { Schedule = schedule } : l).ToArray();
        return Links.Any(l => l is ScaleByLearningRate) ? new Chain(replaced) { Fuse = Fuse } : null;
    }

    /// <inheritdoc/>
    public override OptimizerState Observe(OptimizerState state, double metric)
    {
        var s = Own<ChainState>(state);
        var links = s.Links.Select((inner, i) => Links[i].Observe(inner, metric)).ToArray();
        var next = new ChainState(links);
        next.SetCount(s.StepCount);
        return next;
    }

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) =>
        new ChainState([.. Links.Select(l => layout is null ? l.Init(parameterCount) : l.Init(layout))]);

    internal override BoundTransform Bind(OptimizerState state)
    {
        var s = Own<ChainState>(state);
        if (s.Links.Length != Links.Length) throw new ArgumentException($"{Structure}: a chain state of {s.Links.Length} links for {Links.Length}", nameof(state));
        var bound = Links.Select((l, i) => l.Bind(s.Links[i])).ToArray();
        return new Bound(s, bound);
    }

    private sealed class Bound(ChainState state, BoundTransform[] links) : BoundTransform(links.All(l => l.IsElementwise))
    {
        // The links that change u: those that leave it as it is (decay at rate 0) only count their steps in Begin.
        private readonly BoundTransform[] active = [.. links.Where(l => !l.IsIdentity)];

        public override void Begin()
        {
            state.Advance();
            foreach (var link in links) link.Begin();
        }

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters)
        {
            if (IsElementwise)
                foreach (var link in active) link.Transform(offset, updates, parameters);
            else
                // A link that needs the whole update: each link over the whole block in turn (elementwise ones over threads).
                foreach (var link in active)
                    if (link.IsElementwise) UpdatePass.Transform(link, updates, parameters);
                    else link.Transform(0, updates, parameters);
        }

        public override void Step(int offset, Span<float> updates, Span<float> parameters)
        {
            int n = active.Length;
            if (n == 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(parameters, updates, parameters);
                return;
            }
            // The usual chains end with a learning rate: the link before it scales its own output as it adds it to θ,
            // so the whole step is one pass over the piece (a rule with m and v reads them once, u is never written).
            bool scaled = n >= 2 && active[n - 1].IsScale;
            int through = scaled ? n - 2 : n - 1;
            for (int k = 0; k < through; k++) active[k].Transform(offset, updates, parameters);
            if (scaled) active[n - 2].StepScaled(offset, updates, parameters, active[n - 1].ScaleFactor);
            else active[n - 1].Step(offset, updates, parameters);
        }

        public override unsafe bool StepOuter(int offset, float* x, float* dz, int rows, int cols, float* parameters) =>
            active.Length == 1 ? active[0].StepOuter(offset, x, dz, rows, cols, parameters)
            : active.Length == 2 && active[1].IsScale && active[0].StepScaledOuter(offset, x, dz, rows, cols, parameters, active[1].ScaleFactor);
    }
}

/// <summary>A chain's state: one state per link, in order.</summary>
public sealed record ChainState : OptimizerState
{
    internal ChainState(OptimizerState[] links) : base(links[0].ParameterCount) => Links = [.. links];

    /// <summary>Each link's state.</summary>
    public ImmutableArray<OptimizerState> Links { get; }

    /// <inheritdoc/>
    public override TState? Find<TState>() where TState : class => this as TState ?? Links.Select(l => l.Find<TState>()).FirstOrDefault(s => s is not null);

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, ReadOnlyMemory<float>> Blocks =>
        Links.SelectMany((l, i) => l.Blocks.Select(b => ($"{i}.{b.Key}", b.Value))).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    private protected override void Load(BlockReader blocks)
    {
        for (int i = 0; i < Links.Length; i++) Links[i].LoadFrom(blocks.Under($"{i}."));
    }

    internal override void SetCount(long count)
    {
        base.SetCount(count);
        foreach (var link in Links) link.SetCount(count);
    }

    private protected override OptimizerState Duplicate() => new ChainState([.. Links.Select(l => l.Copy())]);
}

public abstract partial record Optimizer
{
    /// <summary>The chain of <paramref name="links"/> (null links, such as a zero <see cref="WeightDecay"/>, are left out).</summary>
    public static Optimizer Chain(params Optimizer?[] links) => new Chain(links.OfType<Optimizer>());

    /// <summary>Weight decay λ on every tensor before what follows, or nothing (null) when λ is 0.</summary>
    public static Optimizer? WeightDecay(float weightDecay, TensorKinds mask = TensorKinds.All) =>
        Check.NonNegative(weightDecay, "weightDecay") == 0f ? null : new AddDecayedWeights(weightDecay, mask);

    /// <summary>
    /// <c>torch.optim.Adagrad</c>: s ← s + g²; θ ← θ − η_t·g / (√s + ε), with η_t = lr / (1 + t·lrDecay) (t from 0) and
    /// PyTorch's L2 <paramref name="weightDecay"/> (g ← g + wd·θ) first.
    /// </summary>
    public static Optimizer AdaGrad(float lr = 0.01f, float eps = 1e-10f, float initialAccumulator = 0f, float lrDecay = 0f, float weightDecay = 0f) =>
        Chain(WeightDecay(weightDecay), new ScaleByAdaGrad(eps, initialAccumulator),
              new ScaleByLearningRate(Check.NonNegative(lrDecay, "lrDecay") == 0f ? Schedule.Constant(lr) : Schedule.InverseTime(lr, lrDecay)));

    /// <summary>
    /// <c>torch.optim.RMSprop</c>: s ← α·s + (1 − α)·g²; u = g / (√s + ε) (centred: √(s − ḡ²)); with momentum μ,
    /// v ← μ·v + u and θ ← θ − lr·v, else θ ← θ − lr·u; PyTorch's L2 <paramref name="weightDecay"/> first.
    /// </summary>
    public static Optimizer RmsProp(float lr = 0.01f, float alpha = 0.99f, float eps = 1e-8f, float momentum = 0f, bool centered = false, float weightDecay = 0f) =>
        Chain(WeightDecay(weightDecay), new ScaleByRms(alpha, eps, centered),
              Check.Fraction(momentum, "momentum") == 0f ? null : new Trace(momentum), new ScaleByLearningRate(lr));

    /// <summary>
    /// <c>torch.optim.Adam</c>: m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; θ ← θ − lr·m̂ / (√v̂ + ε) with bias-corrected
    /// m̂, v̂; <paramref name="weightDecay"/> is PyTorch's L2 form (g ← g + wd·θ before the moments).
    /// </summary>
    public static Optimizer Adam(float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f) =>
        Chain(WeightDecay(weightDecay), new ScaleByAdam(beta1, beta2, eps), new ScaleByLearningRate(lr));

    /// <summary>
    /// <c>torch.optim.AdamW</c> (Loshchilov &amp; Hutter's decoupled weight decay): Adam's step plus θ ← θ − lr·wd·θ, the
    /// decay outside the moments. PyTorch decays every tensor; <paramref name="decayMask"/> can keep it to weights.
    /// </summary>
    public static Optimizer AdamW(float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f, TensorKinds decayMask = TensorKinds.All) =>
        Chain(new ScaleByAdam(beta1, beta2, eps), WeightDecay(weightDecay, decayMask), new ScaleByLearningRate(lr));
}
