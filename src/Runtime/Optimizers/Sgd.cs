// The SGD family (plain, momentum, Nesterov) in PyTorch's conventions, and the momentum transformation they are built from.
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>Constructors for the SGD family, as chains of transformations (PyTorch's <c>torch.optim.SGD</c> forms).</summary>
public static class Sgd
{
    /// <summary>θ ← θ − lr·g (with <paramref name="weightDecay"/> wd: g ← g + wd·θ first, PyTorch's L2 form).</summary>
    public static Optimizer Plain(float lr, float weightDecay = 0f) =>
        Optimizer.Chain(Optimizer.WeightDecay(weightDecay), new ScaleByLearningRate(lr));

    /// <summary>v ← μ·v + g; θ ← θ − lr·v (PyTorch's form, so its hyperparameters carry over unchanged; weight decay as in <see cref="Plain"/>).</summary>
    public static Optimizer Momentum(float lr, float mu = 0.9f, float weightDecay = 0f) =>
        Optimizer.Chain(Optimizer.WeightDecay(weightDecay), new Trace(mu), new ScaleByLearningRate(lr));

    /// <summary>Nesterov momentum as PyTorch has it: v ← μ·v + g; θ ← θ − lr·(g + μ·v).</summary>
    public static Optimizer Nesterov(float lr, float mu = 0.9f, float weightDecay = 0f) =>
        Optimizer.Chain(Optimizer.WeightDecay(weightDecay), new Trace(mu, nesterov: true), new ScaleByLearningRate(lr));
}

/// <summary>
/// Momentum (Optax's <c>trace</c>): v ← μ·v + (1 − τ)·u, then u ← v, or u ← u + μ·v with <see cref="Nesterov"/>. The
/// first step's v is u itself, as PyTorch's momentum buffer starts (no dampening τ on it).
/// </summary>
public sealed record Trace : Optimizer
{
    /// <summary>Momentum with decay <paramref name="decay"/> (μ, in [0, 1)); Nesterov's form when <paramref name="nesterov"/>; PyTorch's <paramref name="dampening"/> τ in [0, 1).</summary>
    public Trace(float decay, bool nesterov = false, float dampening = 0f)
    {
        Decay = decay;
        Nesterov = nesterov;
        Dampening = dampening;
    }

    /// <summary>τ, PyTorch's dampening of the gradient's share of the velocity after the first step, in [0, 1) (0: none, the usual).</summary>
    public float Dampening { get; init => field = Check.Fraction(value, "dampening"); }

    /// <summary>μ in [0, 1), checked on every assignment, including <c>with</c>.</summary>
    public float Decay { get; init => field = Check.Fraction(value, "momentum"); }

    /// <summary>Nesterov's look-ahead form.</summary>
    public bool Nesterov { get; init; }

    /// <inheritdoc/>
    public override string Structure => Nesterov ? "nesterov" : "trace";

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) => new VelocityState(new float[parameterCount]);

    internal override BoundTransform Bind(OptimizerState state) => new Bound(this, Own<VelocityState>(state));

    private sealed unsafe class Bound(Trace trace, VelocityState state) : DirectionTransform
    {
        private readonly float share = (float)(1 - Check.Decimal(trace.Dampening));
        private bool first;

        public override void Begin() => first = state.Advance() == 1;

        protected override void Run(int offset, Lanes.Gradient g, float* u, float* theta, float scale, int count)
        {
            fixed (float* v = state.Buffers[0].AsSpan(offset, count))
            {
                // Undamped (τ = 0, or PyTorch's first step): μ·v + u, which is u itself on the first step (v = 0).
                float s = first ? 1f : share;
                // Each choice is a type, so the loop carries no branch for it.
                if (trace.Nesterov) Damped<Lanes.On>(g, u, v, theta, s, scale);
                else Damped<Lanes.Off>(g, u, v, theta, s, scale);
            }
        }

        private void Damped<TNesterov>(Lanes.Gradient g, float* u, float* v, float* theta, float s, float scale) where TNesterov : struct, Lanes.IFlag
        {
            if (s != 1f) Applied<TNesterov, Lanes.On>(g, u, v, theta, s, scale);
            else Applied<TNesterov, Lanes.Off>(g, u, v, theta, s, scale);
        }

        private void Applied<TNesterov, TDamped>(Lanes.Gradient g, float* u, float* v, float* theta, float s, float scale)
            where TNesterov : struct, Lanes.IFlag where TDamped : struct, Lanes.IFlag
        {
            if (theta != null)
            {
                var body = new Body<TNesterov, TDamped, Lanes.On>(u, v, theta, trace.Decay, s, scale);
                g.Run(ref body);
            }
            else
            {
                var body = new Body<TNesterov, TDamped, Lanes.Off>(u, v, theta, trace.Decay, s, scale);
                g.Run(ref body);
            }
        }
    }

    /// <summary>v ← μv + s·g (just + g when undamped) and the direction d (v, or g + μv for Nesterov); d goes to u, or θ ← θ + d·c when applied.</summary>
    private readonly unsafe struct Body<TNesterov, TDamped, TApplied>(float* u, float* v, float* theta, float mu, float share, float c) : Lanes.IBody
        where TNesterov : struct, Lanes.IFlag where TDamped : struct, Lanes.IFlag where TApplied : struct, Lanes.IFlag
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV m = TS.Broadcast(mu);
            TV vi = TS.Add(TS.Multiply(TS.Load(v + i), m), TDamped.IsOn ? TS.Multiply(g, TS.Broadcast(share)) : g);
            TS.Store(v + i, vi);
            TV d = TNesterov.IsOn ? TS.Add(g, TS.Multiply(vi, m)) : vi;
            if (TApplied.IsOn) TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(d, TS.Broadcast(c))));
            else TS.Store(u + i, d);
        }
    }
}

/// <summary>Momentum's velocity, one float per parameter.</summary>
public sealed record VelocityState : MomentsState
{
    internal VelocityState(float[] velocity) : base(velocity.Length, ["velocity"], [velocity]) { }

    /// <summary>The velocity v, one float per parameter.</summary>
    public ReadOnlySpan<float> Velocity => Buffers[0];

    private protected override MomentsState With(float[][] buffers) => new VelocityState(buffers[0]);
}
