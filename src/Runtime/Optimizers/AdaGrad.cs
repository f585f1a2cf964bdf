// AdaGrad's accumulated squares (Duchi et al. 2011) in PyTorch's arithmetic.
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>
/// AdaGrad's direction (Optax's <c>scale_by_rss</c>): s ← s + u²; u ← u / (√s + ε), with s starting at
/// <see cref="InitialAccumulator"/>. PyTorch's <c>lr_decay</c> is the learning rate's schedule here
/// (<see cref="Schedule.InverseTime"/>).
/// </summary>
public sealed record ScaleByAdaGrad : Optimizer
{
    /// <summary>AdaGrad with <paramref name="eps"/> (&gt; 0) and the sum of squares starting at <paramref name="initialAccumulator"/> (≥ 0).</summary>
    public ScaleByAdaGrad(float eps = 1e-10f, float initialAccumulator = 0f)
    {
        Eps = eps;
        InitialAccumulator = initialAccumulator;
    }

    /// <summary>ε, added to the denominator: a positive finite number.</summary>
    public float Eps { get; init => field = Check.Positive(value, "eps"); }

    /// <summary>The sum of squares' starting value: a finite number ≥ 0.</summary>
    public float InitialAccumulator { get; init => field = Check.NonNegative(value, "initialAccumulator"); }

    /// <inheritdoc/>
    public override string Structure => "adagrad";

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout)
    {
        var sum = new float[parameterCount];
        Array.Fill(sum, InitialAccumulator);
        return new AdaGradState(sum);
    }

    internal override BoundTransform Bind(OptimizerState state) => new Bound(this, Own<AdaGradState>(state));

    private sealed unsafe class Bound(ScaleByAdaGrad adagrad, AdaGradState state) : BoundTransform(isElementwise: true)
    {
        public override void Begin() => state.Advance();

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters)
        {
            fixed (float* u = updates, s = state.Buffers[0].AsSpan(offset, updates.Length))
            {
                var body = new Body(u, s, adagrad.Eps);
                Lanes.Run(ref body, u, updates.Length);
            }
        }
    }

    private readonly unsafe struct Body(float* u, float* s, float eps) : Lanes.IBody
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV si = TS.Add(TS.Load(s + i), TS.Multiply(g, g));
            TS.Store(s + i, si);
            TS.Store(u + i, TS.Divide(g, TS.Add(TS.Sqrt(si), TS.Broadcast(eps))));
        }
    }
}

/// <summary>AdaGrad's running sum of squared gradients, one float per parameter.</summary>
public sealed record AdaGradState : MomentsState
{
    internal AdaGradState(float[] sum) : base(sum.Length, ["sum"], [sum]) { }

    /// <summary>The sum of squared gradients so far (plus the initial accumulator).</summary>
    public ReadOnlySpan<float> Sum => Buffers[0];

    private protected override MomentsState With(float[][] buffers) => new AdaGradState(buffers[0]);
}
