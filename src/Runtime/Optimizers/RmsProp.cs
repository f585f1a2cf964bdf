// RMSProp's running mean of squares (Hinton's lecture 6e), plain or centred, in PyTorch's arithmetic.
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>
/// RMSProp's direction (Optax's <c>scale_by_rms</c> / <c>scale_by_stddev</c>): s ← α·s + (1 − α)·u²; centred, also
/// ḡ ← α·ḡ + (1 − α)·u and s − ḡ² in place of s; u ← u / (√s + ε). ε sits outside the root, as in
/// <c>torch.optim.RMSprop</c>; PyTorch's momentum is a <see cref="Trace"/> after this.
/// </summary>
public sealed record ScaleByRms : Optimizer
{
    /// <summary>RMSProp with smoothing <paramref name="alpha"/> (in [0, 1)), <paramref name="eps"/> (&gt; 0), centred when <paramref name="centered"/>.</summary>
    public ScaleByRms(float alpha = 0.99f, float eps = 1e-8f, bool centered = false)
    {
        Alpha = alpha;
        Eps = eps;
        Centered = centered;
    }

    /// <summary>α, the squares' decay, in [0, 1).</summary>
    public float Alpha { get; init => field = Check.Fraction(value, "alpha"); }

    /// <summary>ε, added to the denominator: a positive finite number.</summary>
    public float Eps { get; init => field = Check.Positive(value, "eps"); }

    /// <summary>Divide by an estimate of the gradient's standard deviation (subtracting its running mean's square) rather than its root mean square.</summary>
    public bool Centered { get; init; }

    /// <inheritdoc/>
    public override string Structure => Centered ? "rms_centered" : "rms";

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) =>
        new RmsState(new float[parameterCount], Centered ? new float[parameterCount] : null);

    internal override BoundTransform Bind(OptimizerState state)
    {
        var rms = Own<RmsState>(state);
        if (rms.IsCentered != Centered) throw new ArgumentException($"{Structure} needs a {(Centered ? "centred" : "plain")} RmsState", nameof(state));
        return new Bound(this, rms);
    }

    private sealed unsafe class Bound(ScaleByRms rms, RmsState state) : BoundTransform(isElementwise: true)
    {
        // 1 − α from the decimal α was written as, as PyTorch computes it (see Check.Decimal).
        private readonly float rest = (float)(1 - Check.Decimal(rms.Alpha));

        public override void Begin() => state.Advance();

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters)
        {
            fixed (float* u = updates, s = state.Buffers[0].AsSpan(offset, updates.Length))
            {
                if (rms.Centered)
                    fixed (float* mean = state.Buffers[1].AsSpan(offset, updates.Length))
                    {
                        var centered = new Centred(u, s, mean, rms.Alpha, rest, rms.Eps);
                        Lanes.Run(ref centered, u, updates.Length);
                    }
                else
                {
                    var plain = new Plain(u, s, rms.Alpha, rest, rms.Eps);
                    Lanes.Run(ref plain, u, updates.Length);
                }
            }
        }
    }

    private readonly unsafe struct Plain(float* u, float* s, float alpha, float rest, float eps) : Lanes.IBody
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV si = TS.Add(TS.Multiply(TS.Load(s + i), TS.Broadcast(alpha)), TS.Multiply(TS.Multiply(g, TS.Broadcast(rest)), g));
            TS.Store(s + i, si);
            TS.Store(u + i, TS.Divide(g, TS.Add(TS.Sqrt(si), TS.Broadcast(eps))));
        }
    }

    private readonly unsafe struct Centred(float* u, float* s, float* mean, float alpha, float restOfAlpha, float eps) : Lanes.IBody
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV a = TS.Broadcast(alpha), rest = TS.Broadcast(restOfAlpha);
            TV si = TS.Add(TS.Multiply(TS.Load(s + i), a), TS.Multiply(TS.Multiply(g, rest), g));
            TV mi = TS.Add(TS.Multiply(TS.Load(mean + i), a), TS.Multiply(g, rest));
            TS.Store(s + i, si);
            TS.Store(mean + i, mi);
            TS.Store(u + i, TS.Divide(g, TS.Add(TS.Sqrt(TS.Subtract(si, TS.Multiply(mi, mi))), TS.Broadcast(eps))));
        }
    }
}

/// <summary>RMSProp's running mean of squared gradients (and, centred, of gradients), one float each per parameter.</summary>
public sealed record RmsState : MomentsState
{
    internal RmsState(float[] square, float[]? mean)
        : base(square.Length, mean is null ? ["square"] : ["square", "mean"], mean is null ? [square] : [square, mean]) { }

    /// <summary>The running mean of squared gradients.</summary>
    public ReadOnlySpan<float> Square => Buffers[0];

    /// <summary>The running mean of gradients (centred RMSProp; empty otherwise).</summary>
    public ReadOnlySpan<float> Mean => IsCentered ? Buffers[1] : default;

    internal bool IsCentered => Buffers.Length > 1;

    private protected override MomentsState With(float[][] buffers) => new RmsState(buffers[0], buffers.Length > 1 ? buffers[1] : null);
}
