// Adam's moment estimates with bias correction (Kingma & Ba 2015) in PyTorch's arithmetic; Adam and AdamW are chains around it.
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>
/// Adam's direction (Optax's <c>scale_by_adam</c>), at step t:
/// m ← β₁·m + (1 − β₁)·u; v ← β₂·v + (1 − β₂)·u²; u ← (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε).
/// ε sits outside the square root and after the bias correction of v, as in <c>torch.optim.Adam</c>.
/// </summary>
public sealed record ScaleByAdam : Optimizer
{
    /// <summary>Adam's moments with decays <paramref name="beta1"/>, <paramref name="beta2"/> (each in [0, 1)) and <paramref name="eps"/> (&gt; 0).</summary>
    public ScaleByAdam(float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <summary>β₁, the first moment's decay, in [0, 1).</summary>
    public float Beta1 { get; init => field = Check.Fraction(value, "beta1"); }

    /// <summary>β₂, the second moment's decay, in [0, 1).</summary>
    public float Beta2 { get; init => field = Check.Fraction(value, "beta2"); }

    /// <summary>ε, added to the denominator: a positive finite number.</summary>
    public float Eps { get; init => field = Check.Positive(value, "eps"); }

    /// <inheritdoc/>
    public override string Structure => "adam";

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) => new AdamState(new float[parameterCount], new float[parameterCount]);

    internal override BoundTransform Bind(OptimizerState state) => new Bound(this, Own<AdamState>(state));

    private sealed unsafe class Bound(ScaleByAdam adam, AdamState state) : DirectionTransform
    {
        // The decimals β₁ and β₂ were written as (see Check.Decimal), converted once: the conversion allocates.
        private readonly double beta1 = Check.Decimal(adam.Beta1), beta2 = Check.Decimal(adam.Beta2);
        // c₁ = √(1 − β₂ᵗ) / (1 − β₁ᵗ) and ε·√(1 − β₂ᵗ): the bias corrections with the root moved to the numerator.
        private float correction1, epsScaled;

        public override void Begin()
        {
            long t = state.Advance();
            // In double, as PyTorch computes them in Python floats; the step then uses them as float32.
            double root2 = Math.Sqrt(1 - Math.Pow(beta2, t));
            correction1 = (float)(root2 / (1 - Math.Pow(beta1, t)));
            epsScaled = (float)(adam.Eps * root2);
        }

        protected override void Run(int offset, Lanes.Gradient g, float* u, float* theta, float scale, int count)
        {
            fixed (float* m = state.Buffers[0].AsSpan(offset, count), v = state.Buffers[1].AsSpan(offset, count))
            {
                if (theta != null)
                {
                    var body = new Body<Lanes.On>(u, m, v, theta, adam.Beta1, adam.Beta2, (float)(1 - beta1), (float)(1 - beta2), epsScaled, correction1, scale);
                    g.Run(ref body);
                }
                else
                {
                    var body = new Body<Lanes.Off>(u, m, v, theta, adam.Beta1, adam.Beta2, (float)(1 - beta1), (float)(1 - beta2), epsScaled, correction1, scale);
                    g.Run(ref body);
                }
            }
        }
    }

    /// <summary>m, v and the direction d; d goes to u, or with θ set, θ ← θ + d·c instead (the learning rate's step in the same pass).</summary>
    private readonly unsafe struct Body<TApplied>(float* u, float* m, float* v, float* theta, float beta1, float beta2, float rest1, float rest2, float eps, float correction1, float c) : Lanes.IBody
        where TApplied : struct, Lanes.IFlag
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV mi = TS.Add(TS.Multiply(TS.Load(m + i), TS.Broadcast(beta1)), TS.Multiply(g, TS.Broadcast(rest1)));
            TV vi = TS.Add(TS.Multiply(TS.Load(v + i), TS.Broadcast(beta2)), TS.Multiply(TS.Multiply(g, TS.Broadcast(rest2)), g));
            TS.Store(m + i, mi);
            TS.Store(v + i, vi);
            // (m·c₁) / (√v / c₂ʳ + ε) with numerator and denominator times c₂ʳ: one division instead of two.
            TV d = TS.Divide(TS.Multiply(mi, TS.Broadcast(correction1)), TS.Add(TS.Sqrt(vi), TS.Broadcast(eps)));
            if (TApplied.IsOn) TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(d, TS.Broadcast(c))));
            else TS.Store(u + i, d);
        }
    }
}

/// <summary>Adam's first and second moment estimates m and v, one float each per parameter.</summary>
public sealed record AdamState : MomentsState
{
    internal AdamState(float[] m, float[] v) : base(m.Length, ["m", "v"], [m, v]) { }

    /// <summary>The first moment m (a running mean of gradients).</summary>
    public ReadOnlySpan<float> M => Buffers[0];

    /// <summary>The second moment v (a running mean of squared gradients).</summary>
    public ReadOnlySpan<float> V => Buffers[1];

    private protected override MomentsState With(float[][] buffers) => new AdamState(buffers[0], buffers[1]);
}
