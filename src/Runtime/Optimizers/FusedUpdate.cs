// The one interface an optimizer step is applied through — whole block, tensor by tensor in backward, or row block by row block in a product.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>
/// A transformation bound to the owned state it advances: the one update interface every optimizer implements and
/// the kernels call, knowing nothing of a particular rule. <see cref="Begin"/> counts the step and fixes its scalars
/// (a scheduled learning rate, Adam's bias corrections); <see cref="Transform"/> then maps updates u ← T(u) over any range
/// of the parameter block, as often as the caller cuts it. An elementwise transformation treats each element alone, so
/// disjoint ranges may run on different threads at once, in any order and cut, with the same result bit for bit.
/// </summary>
internal abstract unsafe class BoundTransform(bool isElementwise)
{
    /// <summary>False for a transformation that needs the whole update at once (<see cref="ClipByGlobalNorm"/>): it cannot be fused.</summary>
    public bool IsElementwise { get; } = isElementwise;

    /// <summary>Counts one more update and computes the scalars of that step; once per step, before any <see cref="Transform"/>.</summary>
    public abstract void Begin();

    /// <summary>
    /// u ← T(u) in place for the elements at [<paramref name="offset"/>, offset + u.Length) of the parameter block, whose
    /// values before this step are <paramref name="parameters"/>. Not elementwise: the whole block only.
    /// </summary>
    public abstract void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters);

    /// <summary>
    /// θ ← θ + T(u) in place over [<paramref name="offset"/>, offset + u.Length), u holding the gradient on entry and
    /// scratch afterwards: <see cref="Transform"/> and then the add, or one pass that makes the same operations in the
    /// same order (so the same bits) where a transformation can. Elementwise transformations only.
    /// </summary>
    public virtual void Step(int offset, Span<float> updates, Span<float> parameters)
    {
        Transform(offset, updates, parameters);
        TensorPrimitives.Add(parameters, updates, parameters);
    }

    /// <summary>
    /// θ ← θ + T(u)·<paramref name="scale"/>: the step of this transformation followed by one that only scales (a learning
    /// rate), as <see cref="Transform"/>, u·scale, then the add would make it — in one pass where this transformation can,
    /// so its output never makes the round trip through u.
    /// </summary>
    public virtual void StepScaled(int offset, Span<float> updates, Span<float> parameters, float scale)
    {
        Transform(offset, updates, parameters);
        Scaling.By(updates, scale);
        TensorPrimitives.Add(parameters, updates, parameters);
    }

    /// <summary>
    /// θ ← θ + T(g) for a batch-1 weight gradient g = x ⊗ dz (<paramref name="rows"/> × <paramref name="cols"/>, row-major,
    /// at <paramref name="offset"/>), each g formed in this transformation's own loop so that it never reaches memory;
    /// the same bits as forming g (<see cref="Lanes.RunOuter{TBody}"/>'s FMA chain) and then <see cref="Step"/>. False,
    /// with nothing done, when this transformation cannot: the caller then forms g itself.
    /// </summary>
    public virtual bool StepOuter(int offset, float* x, float* dz, int rows, int cols, float* parameters) => false;

    /// <summary><see cref="StepOuter"/> followed by a scale, as <see cref="StepScaled"/> is <see cref="Step"/>'s; false when this transformation cannot.</summary>
    public virtual bool StepScaledOuter(int offset, float* x, float* dz, int rows, int cols, float* parameters, float scale) => false;

    /// <summary>True for a transformation that only multiplies u by <see cref="ScaleFactor"/> (a learning rate, a plateau's scale).</summary>
    public virtual bool IsScale => false;

    /// <summary>The factor a scaling transformation multiplies by this step (after <see cref="Begin"/>).</summary>
    public virtual float ScaleFactor => throw new InvalidOperationException($"{GetType().Name} is not a scaling");

    /// <summary>True when every step leaves u as it is (weight decay at rate 0): a chain skips it, but counts its steps. Fixed when bound.</summary>
    public virtual bool IsIdentity => false;

    private float[]? scratch;

    /// <summary>An owned buffer of <paramref name="length"/> floats for the unfused in-place step, made once.</summary>
    public Span<float> Scratch(int length) => (scratch is { } s && s.Length >= length ? s : scratch = new float[length]).AsSpan(0, length);
}

/// <summary>
/// A rule whose formula yields a direction d per element (momentum, Adam): one <see cref="Run"/> writes d to u, or with θ
/// adds d·scale to θ in the same pass, over a block or over a batch-1 x ⊗ dz.
/// </summary>
internal abstract unsafe class DirectionTransform() : BoundTransform(isElementwise: true)
{
    public sealed override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters)
    {
        fixed (float* u = updates) Run(offset, Lanes.Gradient.In(u, updates.Length), u, null, 0f, updates.Length);
    }

    public sealed override void StepScaled(int offset, Span<float> updates, Span<float> parameters, float scale)
    {
        fixed (float* u = updates, theta = parameters) Run(offset, Lanes.Gradient.In(u, updates.Length), u, theta, scale, updates.Length);
    }

    public sealed override bool StepScaledOuter(int offset, float* x, float* dz, int rows, int cols, float* parameters, float scale)
    {
        Run(offset, Lanes.Gradient.Outer(x, dz, rows, cols), null, parameters, scale, rows * cols);
        return true;
    }

    /// <summary>Over <paramref name="count"/> elements at <paramref name="offset"/>: d to <paramref name="u"/>, or with <paramref name="theta"/>, θ ← θ + d·<paramref name="scale"/>.</summary>
    protected abstract void Run(int offset, Lanes.Gradient g, float* u, float* theta, float scale, int count);
}

/// <summary>
/// An optimizer step carried into backward, bound to the parameter block and the state it advances (made by
/// <see cref="Optimizer.TryFuse"/>): a generated backward applies it tensor by tensor as each gradient is complete, and
/// the weight-gradient kernel row block by row block while the rows are in cache (or, at batch 1, as g = x ⊗ dz is
/// formed, so that gradient never reaches memory). <c>default</c> is inactive and means "write the gradient, update
/// later". Per element it is exactly <see cref="Optimizer.ApplyInPlace"/>: θ ← θ + T(g), so a fused step equals the
/// unfused one bit for bit.
/// </summary>
public readonly ref struct FusedUpdate
{
    internal FusedUpdate(Span<float> parameters, int offset, BoundTransform rule)
    {
        Parameters = parameters;
        Offset = offset;
        Rule = rule;
    }

    /// <summary>The parameters this update writes (the whole block, or one tensor of it after <see cref="Slice"/>).</summary>
    public Span<float> Parameters { get; }

    /// <summary>Where <see cref="Parameters"/> starts in the whole parameter block (the optimizer's state is laid out like it).</summary>
    internal int Offset { get; }

    /// <summary>The bound optimizer step; null when inactive.</summary>
    internal BoundTransform? Rule { get; }

    /// <summary>False for <c>default</c>: the caller wants gradients written, not parameters updated.</summary>
    public bool IsActive => Rule is not null;

    /// <summary>The same rule over one tensor, at <paramref name="offset"/> in <see cref="Parameters"/>. Inactive stays inactive.</summary>
    public FusedUpdate Slice(int offset, int length) => IsActive ? new(Parameters.Slice(offset, length), Offset + offset, Rule!) : default;

    /// <summary>
    /// Updates <see cref="Parameters"/> with a complete <paramref name="gradient"/> of the same length, which it uses as
    /// scratch (its values are the updates afterwards); nothing when inactive.
    /// </summary>
    public void Apply(Span<float> gradient)
    {
        if (!IsActive) return;
        if (gradient.Length != Parameters.Length)
            throw new ArgumentException($"a gradient of {gradient.Length} for a tensor of {Parameters.Length}", nameof(gradient));
        UpdatePass.Step(Rule!, Offset, gradient, Parameters);
    }
}

/// <summary>How a bound step runs over a block: in pieces small enough for L1, split over threads when the block is big.</summary>
internal static unsafe class UpdatePass
{
    /// <summary>Elements per piece: a few transformations in a row each read and write a piece while it is in L1.</summary>
    internal const int Piece = 1024;

    /// <summary>θ ← θ + T(u) over one range on the calling thread, piece by piece (u holds the gradient and is overwritten).</summary>
    public static void Step(BoundTransform rule, int offset, Span<float> updates, Span<float> parameters) => Pieces(rule, offset, updates, parameters, apply: true);

    /// <summary>u ← T(u) over one range, piece by piece, and θ ← θ + u with each piece when <paramref name="apply"/>.</summary>
    private static void Pieces(BoundTransform rule, int offset, Span<float> updates, Span<float> parameters, bool apply)
    {
        for (int at = 0; at < updates.Length; at += Piece)
        {
            int n = Math.Min(Piece, updates.Length - at);
            var u = updates.Slice(at, n);
            var theta = parameters.Slice(at, n);
            if (apply) rule.Step(offset + at, u, theta);
            else rule.Transform(offset + at, u, theta);
        }
    }

    /// <summary>u ← T(u) over the whole block (the pure <see cref="Optimizer.Update"/>).</summary>
    public static void Transform(BoundTransform rule, Span<float> updates, ReadOnlySpan<float> parameters) =>
        Run(rule, updates, MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(parameters), parameters.Length), apply: false);

    /// <summary>θ ← θ + T(g) over the whole block, in place (<see cref="Optimizer.ApplyInPlace"/>); u holds g and is overwritten.</summary>
    public static void Apply(BoundTransform rule, Span<float> updates, Span<float> parameters) => Run(rule, updates, parameters, apply: true);

    private static void Run(BoundTransform rule, Span<float> updates, Span<float> parameters, bool apply)
    {
        if (!rule.IsElementwise)
        {
            // The whole block at once; a chain runs its elementwise links over threads itself.
            rule.Transform(0, updates, parameters);
            if (apply) TensorPrimitives.Add(parameters, updates, parameters);
            return;
        }
        fixed (float* u = updates, theta = parameters)
        {
            var job = new Job(rule, u, theta, updates.Length, apply);
            int chunks = Parallelism.ChunksForElements(updates.Length);
            if (chunks == 1) job.Run(0, 1);
            else Parallelism.Run(ref job, chunks);
        }
    }

    private readonly struct Job(BoundTransform rule, float* u, float* theta, int count, bool apply) : IParallelJob
    {
        public void Run(int chunk, int chunks)
        {
            // Cut on 64-byte boundaries so no two threads write the same cache line.
            int lines = (count + 15) / 16;
            var (first, last) = Parallelism.Range(lines, chunk, chunks);
            int from = first * 16, to = Math.Min(last * 16, count);
            var updates = new Span<float>(u + from, to - from);
            var parameters = new Span<float>(theta + from, to - from);
            Pieces(rule, from, updates, parameters, apply);
        }
    }
}

/// <summary>
/// <see cref="FusedUpdate"/>'s rule over rows of one weight gradient as a product split by rows finishes them
/// (<see cref="GemmKernel.RunByRows{TS, TV, TE, TD}"/>): λW joins g, then θ takes the step, on the core that wrote those
/// rows of g, while they are in its cache. Per element the same operations as the unfused λW pass followed by
/// <see cref="FusedUpdate.Apply"/>, so the result is bit for bit the same.
/// </summary>
internal readonly unsafe struct FusedRows(BoundTransform rule, int offset, float* gradient, float* parameters, int columns, float l2) : GemmKernel.IRowsDone
{
    public void Finished(int first, int count)
    {
        nint at = (nint)first * columns;
        int length = count * columns;
        var g = new Span<float>(gradient + at, length);
        var theta = new Span<float>(parameters + at, length);
        if (l2 != 0f) TensorPrimitives.MultiplyAdd(theta, l2, g, g);
        UpdatePass.Step(rule, offset + (int)at, g, theta);
    }
}

/// <summary>
/// Runs an elementwise formula over a range at the widest vector width the CPU has (<see cref="Cpu.Current"/>), the
/// last elements one at a time with the same formula. Every formula keeps its multiplies and adds separate (no FMA)
/// and uses only correctly rounded operations (+, −, ×, ÷, √), so each element gets the same bits at every width.
/// </summary>
internal static unsafe class Lanes
{
    /// <summary>A choice a formula makes once for its whole range, as a type (<see cref="On"/> or <see cref="Off"/>), so its loop carries no branch.</summary>
    public interface IFlag
    {
        static abstract bool IsOn { get; }
    }

    /// <summary>The choice taken.</summary>
    public readonly struct On : IFlag
    {
        public static bool IsOn => true;
    }

    /// <summary>The choice not taken.</summary>
    public readonly struct Off : IFlag
    {
        public static bool IsOn => false;
    }

    /// <summary>A formula applied to the lanes at element <c>i</c> of its range, given the gradient (or incoming update) g there.</summary>
    public interface IBody
    {
        void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct;
    }

    /// <summary>Where a formula's g comes from: a block u in memory, or a batch-1 weight gradient x ⊗ dz formed as it goes.</summary>
    public readonly struct Gradient
    {
        private readonly float* u, x, dz;
        private readonly int rows, cols;

        private Gradient(float* u, float* x, float* dz, int rows, int cols)
        {
            this.u = u;
            this.x = x;
            this.dz = dz;
            this.rows = rows;
            this.cols = cols;
        }

        /// <summary>g = u[i] for i in [0, count).</summary>
        public static Gradient In(float* u, int count) => new(u, null, null, 1, count);

        /// <summary>g = x[r]·dz[c] at i = r·cols + c (see <see cref="RunOuter{TBody}"/>).</summary>
        public static Gradient Outer(float* x, float* dz, int rows, int cols) => new(null, x, dz, rows, cols);

        public void Run<TBody>(ref TBody body) where TBody : struct, IBody
        {
            if (x == null) Lanes.Run(ref body, u, cols);
            else RunOuter(ref body, x, dz, rows, cols);
        }
    }

    /// <summary>The formula over [0, count) with g = u[i].</summary>
    public static void Run<TBody>(ref TBody body, float* u, int count) where TBody : struct, IBody
    {
        switch (Cpu.Current)
        {
            case Isa.Vector512: Run<TBody, Simd512, System.Runtime.Intrinsics.Vector512<float>>(ref body, u, count); break;
            case Isa.Vector256: Run<TBody, Simd256, System.Runtime.Intrinsics.Vector256<float>>(ref body, u, count); break;
            case Isa.Vector128: Run<TBody, Simd128, System.Runtime.Intrinsics.Vector128<float>>(ref body, u, count); break;
            default: Run<TBody, Scalar, float>(ref body, u, count); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TBody, TS, TV>(ref TBody body, float* u, int count) where TBody : struct, IBody where TS : ISimd<TV> where TV : struct
    {
        // A copy the loop owns: the stores through the body's pointers cannot alias it, so its fields stay in
        // registers instead of being read again after every store.
        TBody own = body;
        int i = 0;
        for (; i + TS.Count <= count; i += TS.Count) own.At<TS, TV>(i, TS.Load(u + i));
        for (; i < count; i++) own.At<Scalar, float>(i, u[i]);
    }

    /// <summary>
    /// The formula over a batch-1 weight gradient g = x ⊗ dz, rows × cols, with each g the streaming product's FMA chain
    /// x·dz + 0 (the last cols mod w columns of each row at one lane), exactly as <see cref="Gemm.WeightGradient(float*, float*, float*, int, int, int)"/> writes it.
    /// </summary>
    public static void RunOuter<TBody>(ref TBody body, float* x, float* dz, int rows, int cols) where TBody : struct, IBody
    {
        switch (Cpu.Current)
        {
            case Isa.Vector512: RunOuter<TBody, Simd512, System.Runtime.Intrinsics.Vector512<float>>(ref body, x, dz, rows, cols); break;
            case Isa.Vector256: RunOuter<TBody, Simd256, System.Runtime.Intrinsics.Vector256<float>>(ref body, x, dz, rows, cols); break;
            case Isa.Vector128: RunOuter<TBody, Simd128, System.Runtime.Intrinsics.Vector128<float>>(ref body, x, dz, rows, cols); break;
            default: RunOuter<TBody, Scalar, float>(ref body, x, dz, rows, cols); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunOuter<TBody, TS, TV>(ref TBody body, float* x, float* dz, int rows, int cols) where TBody : struct, IBody where TS : ISimd<TV> where TV : struct
    {
        TBody own = body;
        int vectorEnd = cols / TS.Count * TS.Count;
        for (int r = 0, at = 0; r < rows; r++, at += cols)
        {
            TV xr = TS.Broadcast(x[r]);
            int j = 0;
            for (; j < vectorEnd; j += TS.Count) own.At<TS, TV>(at + j, TS.MultiplyAdd(xr, TS.Load(dz + j), TS.Zero));
            for (; j < cols; j++) own.At<Scalar, float>(at + j, Scalar.MultiplyAdd(x[r], dz[j], 0f));
        }
    }
}
