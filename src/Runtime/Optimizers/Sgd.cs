// Plain SGD and SGD with momentum (PyTorch's convention), the lecture's first two update rules.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>Constructors for the SGD family.</summary>
public static class Sgd
{
    /// <summary>θ ← θ − lr·g.</summary>
    public static VanillaSgd Plain(float lr) => new(lr);

    /// <summary>v ← μ·v + g; θ ← θ − lr·v (PyTorch's form, so its hyperparameters carry over unchanged).</summary>
    public static MomentumSgd Momentum(float lr, float mu = 0.9f) => new(lr, mu);
}

/// <summary>θ ← θ − lr·g. Its state is empty.</summary>
public sealed record VanillaSgd : Optimizer
{
    /// <summary>Plain SGD with step size <paramref name="learningRate"/> (see <see cref="Sgd.Plain"/>).</summary>
    public VanillaSgd(float learningRate) => LearningRate = learningRate;

    /// <summary>Checked on every assignment, including <c>with</c>, so a schedule cannot slip in a NaN.</summary>
    public float LearningRate { get; init => field = CheckLearningRate(value); }

    /// <inheritdoc/>
    public override OptimizerState Init(int parameterCount) => new StatelessState(parameterCount);

    /// <inheritdoc/>
    public override OptimizerState Restore(int parameterCount, IReadOnlyDictionary<string, float[]> blocks) =>
        blocks.Count == 0 ? Init(parameterCount) : throw new ArgumentException($"plain SGD keeps no state, but the checkpoint holds {string.Join(", ", blocks.Keys)}", nameof(blocks));

    /// <inheritdoc/>
    protected override void ComputeUpdates(ReadOnlySpan<float> gradient, OptimizerState owned, ReadOnlySpan<float> parameters, Span<float> updates)
    {
        Expect<StatelessState>(owned, gradient.Length, "SGD");
        TensorPrimitives.Multiply(gradient, -LearningRate, updates);
    }

    /// <inheritdoc/>
    public override void ApplyInPlace(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState owned)
    {
        Expect<StatelessState>(owned, gradient.Length, "SGD");
        if (parameters.Length != gradient.Length) throw new ArgumentException($"{parameters.Length} parameters for a gradient of {gradient.Length}", nameof(parameters));
        TensorPrimitives.MultiplyAdd(gradient, -LearningRate, parameters, parameters);
    }

    /// <inheritdoc/>
    protected override bool TryFuseCore(Span<float> parameters, OptimizerState owned, out FusedUpdate update)
    {
        Expect<StatelessState>(owned, parameters.Length, "SGD");
        update = FusedUpdate.Sgd(parameters, LearningRate);
        return true;
    }
}

/// <summary>The state of an optimizer that keeps none.</summary>
public sealed record StatelessState(int Count) : OptimizerState
{
    /// <inheritdoc/>
    public override int ParameterCount => Count;
    /// <inheritdoc/>
    public override OptimizerState Copy() => this;
}

/// <summary>SGD with momentum: v ← μ·v + g; θ ← θ − lr·v.</summary>
public sealed record MomentumSgd : Optimizer
{
    /// <summary>SGD with momentum, step size <paramref name="learningRate"/> and μ = <paramref name="momentum"/> (see <see cref="Sgd.Momentum"/>).</summary>
    public MomentumSgd(float learningRate, float momentum)
    {
        LearningRate = learningRate;
        Momentum = momentum;
    }

    /// <summary>Checked on every assignment, including <c>with</c>.</summary>
    public float LearningRate { get; init => field = CheckLearningRate(value); }

    /// <summary>μ in [0, 1), checked on every assignment, including <c>with</c>.</summary>
    public float Momentum
    {
        get;
        init => field = value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException("momentum", value, "momentum must be in [0, 1)");
    }

    /// <inheritdoc/>
    public override OptimizerState Init(int parameterCount) => new VelocityState(new float[parameterCount]);

    /// <inheritdoc/>
    public override OptimizerState Restore(int parameterCount, IReadOnlyDictionary<string, float[]> blocks) =>
        new VelocityState(Block(blocks, "velocity", parameterCount));

    /// <inheritdoc/>
    protected override void ComputeUpdates(ReadOnlySpan<float> gradient, OptimizerState owned, ReadOnlySpan<float> parameters, Span<float> updates)
    {
        var v = Expect<VelocityState>(owned, gradient.Length, "SGD with momentum").Buffer;
        if (updates.Length < v.Length) throw new ArgumentException($"updates holds {updates.Length} floats for {v.Length} parameters", nameof(updates));
        MomentumPass.Run(v, gradient, updates, Momentum, -LearningRate, apply: false);
    }

    /// <inheritdoc/>
    public override void ApplyInPlace(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState owned)
    {
        var v = Expect<VelocityState>(owned, gradient.Length, "SGD with momentum").Buffer;
        if (parameters.Length != v.Length) throw new ArgumentException($"{parameters.Length} parameters for a state of {v.Length}", nameof(parameters));
        MomentumPass.Run(v, gradient, parameters, Momentum, -LearningRate, apply: true);
    }

    /// <inheritdoc/>
    protected override bool TryFuseCore(Span<float> parameters, OptimizerState owned, out FusedUpdate update)
    {
        var v = Expect<VelocityState>(owned, parameters.Length, "SGD with momentum").Buffer;
        update = FusedUpdate.WithMomentum(parameters, v, LearningRate, Momentum);
        return true;
    }
}

/// <summary>Momentum's velocity, one float per parameter.</summary>
public sealed record VelocityState : OptimizerState
{
    internal VelocityState(float[] velocity) => Buffer = velocity;

    /// <summary>Mutated only through an owned clone inside an optimizer step.</summary>
    internal float[] Buffer { get; }

    /// <summary>The velocity v, one float per parameter.</summary>
    public ReadOnlySpan<float> Velocity => Buffer;
    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, ReadOnlyMemory<float>> Blocks => new Dictionary<string, ReadOnlyMemory<float>> { ["velocity"] = Buffer };
    /// <inheritdoc/>
    public override int ParameterCount => Buffer.Length;
    /// <inheritdoc/>
    public override OptimizerState Copy() => new VelocityState((float[])Buffer.Clone());
}

/// <summary>
/// Momentum's update as one pass over the parameter block: v ← v·μ + g, then target ← target + v·(−lr) (apply)
/// or target ← v·(−lr) (the pure form's updates). Each element is read and written once, on every core the block
/// is big enough for. Multiplies and adds stay separate (no FMA) at every width, so the fused step equals the
/// pure <c>Update</c> followed by θ + u bit for bit, and the split over threads changes nothing.
/// </summary>
internal static unsafe class MomentumPass
{
    public static void Run(Span<float> velocity, ReadOnlySpan<float> gradient, Span<float> target, float momentum, float step, bool apply)
    {
        fixed (float* v = velocity, g = gradient, t = target)
        {
            var job = new Job(v, g, t, velocity.Length, momentum, step, apply);
            int chunks = Parallelism.ChunksForElements(velocity.Length);
            if (chunks == 1) job.Run(0, 1);
            else Parallelism.Run(ref job, chunks);
        }
    }

    /// <summary>The apply form over <paramref name="count"/> elements on the calling thread only (a chunk of a larger job).</summary>
    public static void ApplyHere(float* v, float* g, float* t, int count, float momentum, float step)
        => Pass<Apply>(v, g, t, 0, count, momentum, step);

    private readonly struct Job(float* v, float* g, float* t, int count, float momentum, float step, bool apply) : IParallelJob
    {
        public void Run(int chunk, int chunks)
        {
            // Cut on 64-byte boundaries so no two threads write the same cache line.
            int lines = (count + 15) / 16;
            var (first, last) = Parallelism.Range(lines, chunk, chunks);
            int from = first * 16, to = Math.Min(last * 16, count);
            if (apply) Pass<Apply>(v, g, t, from, to, momentum, step);
            else Pass<Write>(v, g, t, from, to, momentum, step);
        }
    }

    private interface IMode { static abstract bool Applies { get; } }
    private readonly struct Apply : IMode { public static bool Applies => true; }
    private readonly struct Write : IMode { public static bool Applies => false; }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Pass<TMode>(float* v, float* g, float* t, int from, int to, float momentum, float step) where TMode : IMode
    {
        int i = from;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> mu = Vector256.Create(momentum), lr = Vector256.Create(step);
            for (; i + 16 <= to; i += 16)
            {
                Vector256<float> v0 = Vector256.Load(v + i) * mu + Vector256.Load(g + i);
                Vector256<float> v1 = Vector256.Load(v + i + 8) * mu + Vector256.Load(g + i + 8);
                v0.Store(v + i); v1.Store(v + i + 8);
                if (TMode.Applies)
                {
                    (Vector256.Load(t + i) + v0 * lr).Store(t + i);
                    (Vector256.Load(t + i + 8) + v1 * lr).Store(t + i + 8);
                }
                else
                {
                    (v0 * lr).Store(t + i);
                    (v1 * lr).Store(t + i + 8);
                }
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> mu = Vector128.Create(momentum), lr = Vector128.Create(step);
            for (; i + 4 <= to; i += 4)
            {
                Vector128<float> v0 = Vector128.Load(v + i) * mu + Vector128.Load(g + i);
                v0.Store(v + i);
                (TMode.Applies ? Vector128.Load(t + i) + v0 * lr : v0 * lr).Store(t + i);
            }
        }
        for (; i < to; i++)
        {
            float vi = v[i] * momentum + g[i];
            v[i] = vi;
            t[i] = TMode.Applies ? t[i] + vi * step : vi * step;
        }
    }
}
