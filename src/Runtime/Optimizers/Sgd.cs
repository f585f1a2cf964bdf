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
/// Momentum (Optax's <c>trace</c>): v ← μ·v + u, then u ← v, or u ← u + μ·v with <see cref="Nesterov"/>. The first
/// step's v is u itself, as PyTorch's momentum buffer starts (μ·0 + u).
/// </summary>
public sealed record Trace : Optimizer
{
    /// <summary>Momentum with decay <paramref name="decay"/> (μ, in [0, 1)); Nesterov's form when <paramref name="nesterov"/>.</summary>
    public Trace(float decay, bool nesterov = false)
    {
        Decay = decay;
        Nesterov = nesterov;
    }

    /// <summary>μ in [0, 1), checked on every assignment, including <c>with</c>.</summary>
    public float Decay { get; init => field = Check.Fraction(value, "momentum"); }

    /// <summary>Nesterov's look-ahead form.</summary>
    public bool Nesterov { get; init; }

    /// <inheritdoc/>
    public override string Structure => Nesterov ? "nesterov" : "trace";

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) => new VelocityState(new float[parameterCount]);

    internal override BoundTransform Bind(OptimizerState state) => new Bound(this, Own<VelocityState>(state));

    private sealed unsafe class Bound(Trace trace, VelocityState state) : BoundTransform(isElementwise: true)
    {
        public override void Begin() => state.Advance();

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters)
        {
            fixed (float* u = updates, v = state.Buffers[0].AsSpan(offset, updates.Length))
            {
                var body = new Body(u, v, trace.Decay, trace.Nesterov);
                Lanes.Run(ref body, updates.Length);
            }
        }
    }

    private readonly unsafe struct Body(float* u, float* v, float mu, bool nesterov) : Lanes.IBody
    {
        public void At<TS, TV>(int i) where TS : ISimd<TV> where TV : struct
        {
            TV m = TS.Broadcast(mu), g = TS.Load(u + i);
            TV vi = TS.Add(TS.Multiply(TS.Load(v + i), m), g);
            TS.Store(v + i, vi);
            TS.Store(u + i, nesterov ? TS.Add(g, TS.Multiply(vi, m)) : vi);
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
