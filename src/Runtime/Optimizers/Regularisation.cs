// Weight decay (on the tensor kinds the user picks) and clipping by the global gradient norm, as transformations.
using System.Numerics.Tensors;

namespace Functional.Optimizers;

/// <summary>Kinds of parameter tensors, for choosing which ones a transformation such as weight decay touches.</summary>
[Flags]
public enum TensorKinds
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>Weight matrices W.</summary>
    Weights = 1,
    /// <summary>Biases b.</summary>
    Biases = 2,
    /// <summary>Batch norm's scale γ.</summary>
    BatchNormScale = 4,
    /// <summary>Batch norm's shift β.</summary>
    BatchNormShift = 8,
    /// <summary>PReLU's learned slopes.</summary>
    Slopes = 16,
    /// <summary>Every parameter (PyTorch's default for <c>weight_decay</c>).</summary>
    All = Weights | Biases | BatchNormScale | BatchNormShift | Slopes,
}

/// <summary>
/// u ← u + λ·θ on the tensors of <see cref="Mask"/> (Optax's <c>add_decayed_weights</c>). Before Adam's moments it is
/// PyTorch's <c>weight_decay</c> (L2 on the gradient); after them, before the learning rate, it is AdamW's decoupled
/// decay θ ← θ − η·λ·θ. Any mask other than <see cref="TensorKinds.All"/> needs the network's layout
/// (<see cref="Optimizer.Init(NetworkLayout)"/>, which <c>TrainState.Of</c> uses).
/// </summary>
public sealed record AddDecayedWeights : Optimizer
{
    /// <summary>Decay <paramref name="rate"/> λ (a finite number ≥ 0) on the tensors of <paramref name="mask"/>.</summary>
    public AddDecayedWeights(float rate, TensorKinds mask = TensorKinds.All)
    {
        Rate = rate;
        Mask = mask;
    }

    /// <summary>λ: a finite number ≥ 0.</summary>
    public float Rate { get; init => field = Check.NonNegative(value, "weightDecay"); }

    /// <summary>Which tensors decay.</summary>
    public TensorKinds Mask { get; init => field = (value & ~TensorKinds.All) == 0 ? value : throw new ArgumentOutOfRangeException("mask", value, "not a combination of tensor kinds"); }

    /// <inheritdoc/>
    public override string Structure => "add_decayed_weights";

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) => new DecayState(parameterCount, Segments(parameterCount, layout));

    private (int Start, int End)[] Segments(int parameterCount, NetworkLayout? layout)
    {
        if (Mask == TensorKinds.All) return [(0, parameterCount)];
        if (layout is null)
            throw new InvalidOperationException($"weight decay on {Mask} only needs the network's layout to find those tensors: initialise with Init(TNet.Layout) (TrainState.Of does)");
        var segments = new List<(int, int)>();
        void Add(TensorKinds kind, int offset, int length)
        {
            if ((Mask & kind) != 0 && offset >= 0 && length > 0) segments.Add((offset, offset + length));
        }
        foreach (var layer in layout.Layers)
        {
            var d = layer.Dense;
            Add(TensorKinds.Weights, d.WeightsOffset, d.WeightCount);
            Add(TensorKinds.Biases, d.BiasOffset, d.Width);
            Add(TensorKinds.BatchNormScale, d.GammaOffset, d.Width);
            Add(TensorKinds.BatchNormShift, d.BetaOffset, d.Width);
            Add(TensorKinds.Slopes, d.SlopeOffset, d.SlopeCount);
        }
        return [.. segments.OrderBy(s => s.Item1)];
    }

    internal override BoundTransform Bind(OptimizerState state) => new Bound(this, Own<DecayState>(state));

    private sealed class Bound(AddDecayedWeights decay, DecayState state) : BoundTransform(isElementwise: true)
    {
        public override void Begin() => state.Advance();

        public override bool IsIdentity => decay.Rate == 0f;

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters)
        {
            if (decay.Rate == 0f) return;
            int end = offset + updates.Length;
            foreach (var (start, stop) in state.Segments)
            {
                int from = Math.Max(start, offset), to = Math.Min(stop, end);
                if (from >= to) continue;
                var u = updates.Slice(from - offset, to - from);
                // λ·θ + u: a multiply, then an add, as PyTorch's grad.add(param, alpha=λ) rounds them.
                TensorPrimitives.MultiplyAdd(parameters.Slice(from - offset, to - from), decay.Rate, u, u);
            }
        }
    }
}

/// <summary>Weight decay's state: which ranges of the parameter block it decays (from the layout; nothing to checkpoint).</summary>
public sealed record DecayState : OptimizerState
{
    internal DecayState(int parameterCount, (int Start, int End)[] segments) : base(parameterCount) => Segments = segments;

    internal (int Start, int End)[] Segments { get; }

    private protected override OptimizerState Duplicate() => new DecayState(ParameterCount, Segments);
}

/// <summary>
/// u ← u·min(1, c / (‖u‖ + 10⁻⁶)) with ‖u‖ the Euclidean norm over the whole block, as
/// <c>torch.nn.utils.clip_grad_norm_</c> (and Optax's <c>clip_by_global_norm</c>): it needs every element before any is
/// changed, so an optimizer with it is never fused into backward.
/// </summary>
public sealed record ClipByGlobalNorm : Optimizer
{
    /// <summary>Clipping to a global norm of <paramref name="maxNorm"/> (a positive finite number).</summary>
    public ClipByGlobalNorm(float maxNorm) => MaxNorm = maxNorm;

    /// <summary>c, the largest norm let through.</summary>
    public float MaxNorm { get; init => field = Check.Positive(value, "maxNorm"); }

    /// <inheritdoc/>
    public override string Structure => "clip_by_global_norm";

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) => new StatelessState(parameterCount);

    internal override BoundTransform Bind(OptimizerState state) => new Bound(this, Own<StatelessState>(state));

    private sealed class Bound(ClipByGlobalNorm clip, StatelessState state) : BoundTransform(isElementwise: false)
    {
        public override void Begin() => state.Advance();

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters)
        {
            if (offset != 0 || updates.Length != state.ParameterCount)
                throw new InvalidOperationException("clipping by the global norm needs the whole gradient at once");
            double sum = 0;
            foreach (float u in updates) sum += (double)u * u;
            double coefficient = clip.MaxNorm / (Math.Sqrt(sum) + 1e-6);
            if (coefficient < 1) Scaling.By(updates, (float)coefficient);
        }
    }
}
