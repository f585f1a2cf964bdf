// An optimizer step carried into backward: each tensor is updated the moment its gradient is complete.
using System.Numerics.Tensors;

namespace Functional.Optimizers;

/// <summary>
/// The update rule of a fusable optimizer (plain SGD, SGD with momentum) bound to the parameter block and
/// velocity it advances, so a generated backward can apply it tensor by tensor as each gradient is complete, and
/// a batch-1 weight gradient can apply it as g = x ⊗ dz is formed: that gradient is then never written to memory
/// and read back. Only a fold that owns both blocks makes one (<see cref="Optimizer.TryFuse"/>); <c>default</c>
/// is inactive and means "write the gradient, update later".
/// <para>
/// Per element it is exactly the optimizer's own <see cref="Optimizer.ApplyInPlace"/>: plain SGD
/// θ ← θ + g·(−lr); momentum v ← v·μ + g, θ ← θ + v·(−lr), each multiply and add rounded separately, so a fused
/// step equals the unfused one bit for bit.
/// </para>
/// </summary>
public readonly ref struct FusedUpdate
{
    private FusedUpdate(Span<float> parameters, Span<float> velocity, float step, float momentum)
    {
        Parameters = parameters;
        Velocity = velocity;
        Step = step;
        Momentum = momentum;
    }

    /// <summary>θ ← θ + g·(−lr) over <paramref name="parameters"/>.</summary>
    internal static FusedUpdate Sgd(Span<float> parameters, float learningRate) => new(parameters, default, -learningRate, 0f);

    /// <summary>v ← v·μ + g; θ ← θ + v·(−lr), with <paramref name="velocity"/> laid out like <paramref name="parameters"/>.</summary>
    internal static FusedUpdate WithMomentum(Span<float> parameters, Span<float> velocity, float learningRate, float momentum)
    {
        if (velocity.Length != parameters.Length)
            throw new ArgumentException($"a velocity of {velocity.Length} for {parameters.Length} parameters", nameof(velocity));
        return new(parameters, velocity, -learningRate, momentum);
    }

    /// <summary>The parameters this update writes (the whole block, or one tensor of it after <see cref="Slice"/>).</summary>
    public Span<float> Parameters { get; }

    /// <summary>Momentum's velocity, laid out like <see cref="Parameters"/>; empty for plain SGD.</summary>
    internal Span<float> Velocity { get; }

    /// <summary>−lr.</summary>
    internal float Step { get; }

    internal float Momentum { get; }
    /// <summary>Momentum rather than plain SGD (an inactive or empty update has neither).</summary>
    internal bool HasVelocity => !Velocity.IsEmpty;

    /// <summary>False for <c>default</c>: the caller wants gradients written, not parameters updated.</summary>
    public bool IsActive => !Parameters.IsEmpty;

    /// <summary>The same rule over one tensor, at <paramref name="offset"/> in the parameter block. Inactive stays inactive.</summary>
    public FusedUpdate Slice(int offset, int length) => IsActive
        ? new(Parameters.Slice(offset, length), HasVelocity ? Velocity.Slice(offset, length) : default, Step, Momentum)
        : default;

    /// <summary>Updates <see cref="Parameters"/> with a complete <paramref name="gradient"/> of the same length; nothing when inactive.</summary>
    public void Apply(ReadOnlySpan<float> gradient)
    {
        if (!IsActive) return;
        if (gradient.Length != Parameters.Length)
            throw new ArgumentException($"a gradient of {gradient.Length} for a tensor of {Parameters.Length}", nameof(gradient));
        if (HasVelocity) MomentumPass.Run(Velocity, gradient, Parameters, Momentum, Step, apply: true);
        else TensorPrimitives.MultiplyAdd(gradient, Step, Parameters, Parameters);
    }
}

/// <summary>
/// <see cref="FusedUpdate"/>'s rule over rows of one weight gradient as a product split by rows finishes them
/// (<see cref="Kernels.GemmKernel.RunByRows{TS, TV, TE, TD}"/>): λW joins g, then θ (and v) take the step, each on the
/// core that wrote those rows of g, while they are in its cache. Per element the same operations as
/// <see cref="Kernels.Gemm.WeightGradient(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, float, FusedUpdate)"/>'s
/// λW pass followed by <see cref="FusedUpdate.Apply"/>, so the result is bit for bit the same.
/// </summary>
internal readonly unsafe struct FusedRows(float* gradient, float* parameters, float* velocity, int columns, float l2, float momentum, float step)
    : Kernels.GemmKernel.IRowsDone
{
    public void Finished(int first, int count)
    {
        nint at = (nint)first * columns;
        int length = count * columns;
        var g = new Span<float>(gradient + at, length);
        var theta = new Span<float>(parameters + at, length);
        if (l2 != 0f) TensorPrimitives.MultiplyAdd(theta, l2, g, g);
        if (velocity != null) MomentumPass.ApplyHere(velocity + at, gradient + at, parameters + at, length, momentum, step);
        else TensorPrimitives.MultiplyAdd(g, step, theta, theta);
    }
}
