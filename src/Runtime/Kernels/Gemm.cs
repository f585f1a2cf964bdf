// Register-blocked, packed SIMD matrix products with fused epilogues: every layer's forward and backward runs here.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Functional.Kernels;

/// <summary>
/// C[M, N] = epilogue(Σ_k A(m, k) · B[k, n]) where A is read through two strides, so the same micro-kernel
/// computes x·W (forward), xᵀ·dz (weight gradient) and dz·Wᵀ (input gradient, B = Wᵀ read from W through swapped
/// strides).
/// <para>
/// How (see <see cref="GemmKernel"/>): B is copied in blocks of at most <see cref="GemmKernel.KBlock"/> rows into
/// contiguous panels two vectors wide, so the micro-kernel streams it from L1 however B's rows are strided (a
/// weight matrix with 1 KB rows would otherwise map every row to the same few cache sets). A is read in place,
/// except a large xᵀ, which is packed block by block. Each micro-tile is 6 rows (4 for a last group of four) × 2
/// vectors of accumulators, 12 of AVX2's 16 registers, finished by the epilogue while still in registers. Ragged
/// edges are computed as full tiles (repeated rows, zero-padded columns) and only their valid part is stored. One
/// or two rows (batch-1 inference and training) skip the packing and read B in place, since each element of B is
/// then used only once or twice; a product over at most four k (the weight gradient of a batch of one to four)
/// writes C row after row.
/// </para>
/// <para>
/// Determinism: the order of summation over k is fixed by K and the width (blocks of equal size, sequential within
/// a block), never by the split between threads. Threads claim chunks of whole panels of columns (or, for the
/// weight gradient, of whole six-row tiles), so each output element is computed once, by the same instructions, on
/// 1 thread or many.
/// </para>
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Gemm
{
    /// <summary>Forward of a dense layer: y[B, out] = f(x[B, in] · W[in, out] + b), for an activation without parameters.</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, int batch, int inputs, int outputs)
        where TAct : struct, IFixedActivation
        => Forward(x, weights, bias, y, batch, inputs, outputs, default(TAct));

    /// <summary>Forward of a dense layer: y[B, out] = f(x[B, in] · W[in, out] + b), f = <paramref name="activation"/> with its run-time parameter.</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, int batch, int inputs, int outputs, TAct activation)
        where TAct : struct, IActivation
    {
        Require(x, batch * inputs, "x"); Require(weights, inputs * outputs, "W"); Require(bias, outputs, "b"); Require(y, batch * outputs, "y");
        fixed (float* px = x, pw = weights, pb = bias, py = y)
            Forward(px, pw, pb, py, batch, inputs, outputs, activation);
    }

    /// <summary>
    /// Forward of a dense layer that also keeps its pre-activation: z[B, out] = x·W + b and y = f(z), both written by the
    /// product's store, for an activation without parameters whose derivative reads z (GELU, SiLU).
    /// </summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> z, Span<float> y, int batch, int inputs, int outputs)
        where TAct : struct, IFixedActivation
        => Forward(x, weights, bias, z, y, batch, inputs, outputs, default(TAct));

    /// <summary>The forward keeping z = x·W + b beside y = f(z), f = <paramref name="activation"/> with its run-time parameter.</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> z, Span<float> y, int batch, int inputs, int outputs, TAct activation)
        where TAct : struct, IActivation
    {
        Require(x, batch * inputs, "x"); Require(weights, inputs * outputs, "W"); Require(bias, outputs, "b");
        Require(z, batch * outputs, "z"); Require(y, batch * outputs, "y");
        fixed (float* px = x, pw = weights, pb = bias, pz = z, py = y)
            Multiply(px, inputs, 1, pw, outputs, py, outputs, batch, inputs, outputs, new BiasActivationKeepingInput<TAct>(pb, pz, outputs, activation));
    }

    /// <summary>Weight gradient: dW[in, out] = xᵀ · dz, with x [B, in] and dz [B, out]. Overwrites dW.</summary>
    public static void WeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dz, Span<float> dWeights, int batch, int inputs, int outputs)
    {
        Require(x, batch * inputs, "x"); Require(dz, batch * outputs, "dz"); Require(dWeights, inputs * outputs, "dW");
        fixed (float* px = x, pdz = dz, pdw = dWeights)
            WeightGradient(px, pdz, pdw, batch, inputs, outputs);
    }

    /// <summary>
    /// The training step's weight gradient: g = xᵀ·dz + λ·W for weights W [in, out] (λ = <paramref name="l2"/>, the
    /// gradient of ½λ‖W‖²; 0 for none). With an inactive <paramref name="update"/>, g is written to
    /// <paramref name="dWeights"/>. With an active one (bound to W itself), W and the optimizer's state are updated
    /// through its bound rule (the kernel knows no particular rule), ending bit for bit as if g had been written and
    /// the optimizer then applied:
    /// <list type="bullet">
    /// <item>for a batch of one row without L2, as g = x ⊗ dz is formed, one row of W at a time
    /// (<see cref="RankOneUpdate{TS, TV}"/>): g never reaches memory, which is a third of a batch-1 step's traffic;</item>
    /// <item>otherwise by splitting the product over threads by rows of dW (<see cref="GemmKernel.RunByRows{TS, TV, TE, TD}"/>):
    /// each thread writes a block of rows of g and at once adds λW and applies the step to those rows, contiguous in
    /// θ and the optimizer's moments and still in its L2 (<see cref="Optimizers.FusedRows"/>). Updating inside the
    /// tiles instead was measured slower: they would read θ and v in 1 KB strides, which the prefetchers do not follow.</item>
    /// </list>
    /// </summary>
    public static void WeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dWeights, int batch, int inputs, int outputs, float l2, Optimizers.FusedUpdate update)
    {
        Require(x, batch * inputs, "x"); Require(dz, batch * outputs, "dz"); Require(weights, inputs * outputs, "W"); Require(dWeights, inputs * outputs, "dW");
        if (update.IsActive && (update.Parameters.Length != inputs * outputs
            || !Unsafe.AreSame(ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(update.Parameters))))
            throw new ArgumentException($"the update must be bound to this layer's W ({inputs * outputs} floats), got a view of {update.Parameters.Length}", nameof(update));
        fixed (float* px = x, pdz = dz, pw = weights, pdw = dWeights)
        {
            // One row, more than the direct path's rows (so the unfused product is the streaming path, whose FMA
            // chains this repeats), no L2.
            if (update.IsActive && batch == 1 && inputs > GemmKernel.DirectRows && l2 == 0f)
            {
                switch (Cpu.Current)
                {
                    case Isa.Vector512: RankOneUpdate<Simd512, Vector512<float>>(px, pdz, pw, inputs, outputs, update.Rule!, update.Offset); break;
                    case Isa.Vector256: RankOneUpdate<Simd256, Vector256<float>>(px, pdz, pw, inputs, outputs, update.Rule!, update.Offset); break;
                    case Isa.Vector128: RankOneUpdate<Simd128, Vector128<float>>(px, pdz, pw, inputs, outputs, update.Rule!, update.Offset); break;
                    default: RankOneUpdate<Scalar, float>(px, pdz, pw, inputs, outputs, update.Rule!, update.Offset); break;
                }
                return;
            }
            // Any other batch: each thread's rows of g, then λW and the step over those rows, while they are in its L2.
            if (update.IsActive)
            {
                var rows = new Optimizers.FusedRows(update.Rule!, update.Offset, pdw, pw, outputs, l2);
                WeightGradient(px, pdz, pdw, batch, inputs, outputs, rows);
                return;
            }
            WeightGradient(px, pdz, pdw, batch, inputs, outputs);
        }
        // No update to apply (the unfused fold): λW in a streaming pass of its own, as an epilogue would read W in the
        // tiles' 1 KB strides.
        if (l2 != 0f) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(weights.Slice(0, inputs * outputs), l2, dWeights.Slice(0, inputs * outputs), dWeights.Slice(0, inputs * outputs));
    }

    /// <summary>Bias gradient: db[out] = Σ_b dz[b, :]. Overwrites db.</summary>
    public static void BiasGradient(ReadOnlySpan<float> dz, Span<float> dBias, int batch, int outputs)
    {
        Require(dz, batch * outputs, "dz"); Require(dBias, outputs, "db");
        fixed (float* pdz = dz, pdb = dBias)
            BiasGradient(pdz, pdb, batch, outputs);
    }

    /// <summary>
    /// Input gradient with the lower layer's activation derivative fused: dx[B, in] = (dz · Wᵀ) ⊙ f′(y_below). W is
    /// read as Wᵀ where it lies: the product's packing transposes it block by block.
    /// </summary>
    public static void InputGradient<TAct>(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, ReadOnlySpan<float> below, Span<float> dx, int batch, int inputs, int outputs)
        where TAct : struct, IFixedActivation
        => InputGradient(dz, weights, below, dx, batch, inputs, outputs, default(TAct));

    /// <summary>The input gradient with the lower layer's <paramref name="activation"/> (and its run-time parameter) fused: dx = (dz · Wᵀ) ⊙ f′(y_below).</summary>
    public static void InputGradient<TAct>(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, ReadOnlySpan<float> below, Span<float> dx, int batch, int inputs, int outputs, TAct activation)
        where TAct : struct, IActivation
    {
        Require(dz, batch * outputs, "dz"); Require(weights, inputs * outputs, "W");
        Require(below, batch * inputs, "y_below"); Require(dx, batch * inputs, "dx");
        fixed (float* pdz = dz, pw = weights, pbelow = below, pdx = dx)
            InputGradient(pdz, pw, pbelow, pdx, batch, inputs, outputs, activation);
    }

    /// <summary>
    /// A batch-1 weight gradient g = x ⊗ dz turned into the optimizer's step as it is formed, row after row of W: each
    /// piece of a row of g goes to a stack buffer that stays in L1, the bound rule turns it into the update, and θ takes
    /// it. Each g is the streaming path's FMA chain (x·dz + 0, the last N mod w columns at the one-lane width) and the
    /// update the rule's own arithmetic, so θ and the optimizer's state end bit for bit as in the unfused step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RankOneUpdate<TS, TV>(float* x, float* dz, float* weights, int rows, int cols, Optimizers.BoundTransform rule, int offset)
        where TS : ISimd<TV> where TV : struct
    {
        // The usual rules (SGD, momentum, Adam with their learning rate) form each g inside their own loop.
        if (rule.StepOuter(offset, x, dz, rows, cols, weights)) return;
        const int piece = Optimizers.UpdatePass.Piece;
        float* g = stackalloc float[piece];
        int w = TS.Count;
        // Rows of W are contiguous, so as many whole rows as fit in a piece go to the rule in one call: the rule's
        // per-call work (its links, their dispatch) is paid once per piece, not once per row.
        int rowsPerPiece = Math.Max(1, piece / cols);
        for (int i0 = 0; i0 < rows; i0 += rowsPerPiece)
        {
            int last = Math.Min(rows, i0 + rowsPerPiece);
            for (int j0 = 0; j0 < cols; j0 += piece)
            {
                int n = Math.Min(piece, cols - j0), filled = 0;
                for (int i = i0; i < last; i++, filled += n)
                {
                    TV xi = TS.Broadcast(x[i]);
                    float* gi = g + filled;
                    // The vector part ends where the whole row's would, so every column takes the width it takes unfused.
                    int vectorEnd = Math.Min(n, cols / w * w - j0);
                    int j = 0;
                    for (; j + w <= vectorEnd; j += w) TS.Store(gi + j, TS.MultiplyAdd(xi, TS.Load(dz + j0 + j), TS.Zero));
                    for (; j < n; j++) gi[j] = Scalar.MultiplyAdd(x[i], dz[j0 + j], 0f);
                }
                // Whole rows (one piece holds several) or a piece of one long row: either way one contiguous range of θ.
                var u = new Span<float>(g, filled);
                var theta = new Span<float>(weights + (nint)i0 * cols + j0, filled);
                rule.Step(offset + i0 * cols + j0, u, theta);
            }
        }
    }

    /// <summary>Pointer form of <see cref="Forward{TAct}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, TAct)"/>; the caller guarantees the sizes.</summary>
    public static void Forward<TAct>(float* x, float* weights, float* bias, float* y, int batch, int inputs, int outputs)
        where TAct : struct, IFixedActivation
        => Forward(x, weights, bias, y, batch, inputs, outputs, default(TAct));

    /// <summary>Pointer form of the forward with a run-time <paramref name="activation"/>; the caller guarantees the sizes.</summary>
    public static void Forward<TAct>(float* x, float* weights, float* bias, float* y, int batch, int inputs, int outputs, TAct activation)
        where TAct : struct, IActivation
        => Multiply(x, inputs, 1, weights, outputs, y, outputs, batch, inputs, outputs, new BiasActivation<TAct>(bias, activation));

    /// <summary>
    /// Pointer form of the weight gradient; the caller guarantees the sizes. xᵀ's rows are x's columns: read in place,
    /// each tile takes six floats per k from rows of x a whole input row apart. Once x outgrows
    /// <see cref="PackAAbove"/> floats (half of L2) those reads miss, so each block of rows of xᵀ is first packed into
    /// contiguous micro-panels in L2 (and the product is split by rows, which packs each block once). Every element is
    /// the same FMA chain in the same k order either way: the results are identical.
    /// </summary>
    public static void WeightGradient(float* x, float* dz, float* dWeights, int batch, int inputs, int outputs)
        => WeightGradient(x, dz, dWeights, batch, inputs, outputs, new NothingMore());

    /// <summary>
    /// The weight gradient, split over threads by rows of dW and handing each block of finished rows to
    /// <paramref name="done"/> (<see cref="GemmKernel.RunByRows{TS, TV, TE, TD}"/>); split by columns as any product
    /// when <typeparamref name="TD"/> is <see cref="NothingMore"/> and x is small, or when dW has too few rows for the
    /// row split (then done takes all of dW at the end).
    /// </summary>
    private static void WeightGradient<TD>(float* x, float* dz, float* dWeights, int batch, int inputs, int outputs, TD done)
        where TD : struct, GemmKernel.IRowsDone
    {
        var split = inputs <= GemmKernel.DirectRows ? Split.Columns
            : (long)batch * inputs > PackAAbove && batch > GemmKernel.StreamDepth ? Split.RowsPackingA
            : typeof(TD) != typeof(NothingMore) ? Split.Rows
            : Split.Columns;
        Multiply(new GemmKernel.Operands(x, 1, inputs, dz, outputs, dWeights, outputs, inputs, Math.Max(batch, 0), outputs), new Plain(), done, split);
    }

    /// <summary>No work on finished rows: the product keeps its column split.</summary>
    private readonly struct NothingMore : GemmKernel.IRowsDone
    {
        public void Finished(int first, int count) { }
    }

    /// <summary>
    /// Floats of x (256 KB) above which the weight gradient packs xᵀ block by block. It replaced transposing all of x
    /// first, which wrote an 800 KB copy at batch 256 × 784 inputs: 784×256 at batch 128 and 256, one thread, 41
    /// interleaved pairs each, packing was 3–4% faster (4–10% on two threads); below it, reading in place is as fast.
    /// </summary>
    public const int PackAAbove = 64 * 1024;

    /// <summary>
    /// How a product is cut between threads: by panels of columns (every product but the weight gradient), by blocks
    /// of rows of C (<see cref="GemmKernel.RunByRows{TS, TV, TE, TD}"/>), or by rows with A packed per block.
    /// </summary>
    private enum Split { Columns, Rows, RowsPackingA }

    /// <summary>Pointer form of the bias gradient; the caller guarantees the sizes. Rows are summed in order, so the result does not depend on the width.</summary>
    public static void BiasGradient(float* dz, float* dBias, int batch, int outputs)
    {
        switch (Cpu.Current)
        {
            case Isa.Vector512: ColumnSums<Simd512, Vector512<float>>(dz, dBias, batch, outputs); break;
            case Isa.Vector256: ColumnSums<Simd256, Vector256<float>>(dz, dBias, batch, outputs); break;
            case Isa.Vector128: ColumnSums<Simd128, Vector128<float>>(dz, dBias, batch, outputs); break;
            default: ColumnSums<Scalar, float>(dz, dBias, batch, outputs); break;
        }
    }

    /// <summary>
    /// Pointer form of the input gradient; the caller guarantees the sizes. B = Wᵀ is W read with its strides swapped,
    /// and packed from W's rows (<see cref="GemmKernel.Operands.TransposedB"/>): transposing all of W into scratch
    /// first and packing the copy cost 5–13% more on one thread and 10–28% on two (Hidden2's 64×256×128: 76 → 71 µs
    /// and 41 → 30 µs; 41 interleaved pairs). One or two rows (batch-1 training) take dot products of W's rows with
    /// dz's instead: each element of W is then used once or twice, so packing it would cost more than the product.
    /// </summary>
    public static void InputGradient<TAct>(float* dz, float* weights, float* below, float* dx, int batch, int inputs, int outputs)
        where TAct : struct, IFixedActivation
        => InputGradient(dz, weights, below, dx, batch, inputs, outputs, default(TAct));

    /// <summary>Pointer form of the input gradient with a run-time <paramref name="activation"/>; the caller guarantees the sizes.</summary>
    public static void InputGradient<TAct>(float* dz, float* weights, float* below, float* dx, int batch, int inputs, int outputs, TAct activation)
        where TAct : struct, IActivation
    {
        if (batch <= GemmKernel.DirectRows)
        {
            switch (Cpu.Current)
            {
                case Isa.Vector512: RowDots<Simd512, Vector512<float>, TAct>(dz, weights, below, dx, batch, inputs, outputs, activation); break;
                case Isa.Vector256: RowDots<Simd256, Vector256<float>, TAct>(dz, weights, below, dx, batch, inputs, outputs, activation); break;
                case Isa.Vector128: RowDots<Simd128, Vector128<float>, TAct>(dz, weights, below, dx, batch, inputs, outputs, activation); break;
                default: RowDots<Scalar, float, TAct>(dz, weights, below, dx, batch, inputs, outputs, activation); break;
            }
            return;
        }
        var p = new GemmKernel.Operands(dz, outputs, 1, weights, 1, dx, inputs, batch, Math.Max(outputs, 0), inputs, bCol: outputs);
        Multiply(p, new ActivationGradient<TAct>(below, inputs, activation), new NothingMore(), Split.Columns);
    }

    /// <summary>Refuses a buffer too small for the shapes, before any pointer is formed.</summary>
    private static void Require(ReadOnlySpan<float> span, int needed, string name)
    {
        if (span.Length < needed) throw new ArgumentException($"{name} holds {span.Length} floats, the shapes need {needed}", name);
    }

    /// <summary>
    /// The general product: C[m, n] = epilogue(Σ_k a[m·aRow + k·aCol] · b[k·ldb + n]), written to c[m·ldc + n],
    /// at the width <see cref="Cpu.Current"/> selects, on up to <see cref="Parallelism.Threads"/> threads when it is big enough.
    /// </summary>
    public static void Multiply<TE>(float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc, int m, int k, int n, TE epilogue)
        where TE : struct, IEpilogue
        => Multiply(new GemmKernel.Operands(a, aRow, aCol, b, ldb, c, ldc, m, Math.Max(k, 0), n), epilogue, new NothingMore(), Split.Columns);

    /// <summary>
    /// The general product, and then <paramref name="done"/> on each block of finished rows of C: split as
    /// <paramref name="split"/> says (by columns, done runs once, on all of C, after the product). The row split needs
    /// more than <see cref="GemmKernel.DirectRows"/> rows of C.
    /// </summary>
    private static void Multiply<TE, TD>(in GemmKernel.Operands p, TE epilogue, TD done, Split split)
        where TE : struct, IEpilogue where TD : struct, GemmKernel.IRowsDone
    {
        if (p.M <= 0 || p.N <= 0) return;
        bool byRows = split != Split.Columns, packA = split == Split.RowsPackingA;
        switch (Cpu.Current)
        {
            case Isa.Vector512 when byRows: GemmKernel.RunByRows<Simd512, Vector512<float>, TE, TD>(p, epilogue, done, packA); break;
            case Isa.Vector256 when byRows: GemmKernel.RunByRows<Simd256, Vector256<float>, TE, TD>(p, epilogue, done, packA); break;
            case Isa.Vector128 when byRows: GemmKernel.RunByRows<Simd128, Vector128<float>, TE, TD>(p, epilogue, done, packA); break;
            case Isa.Vector512: GemmKernel.Run<Simd512, Vector512<float>, TE>(p, epilogue); break;
            case Isa.Vector256: GemmKernel.Run<Simd256, Vector256<float>, TE>(p, epilogue); break;
            case Isa.Vector128: GemmKernel.Run<Simd128, Vector128<float>, TE>(p, epilogue); break;
            default:
                if (byRows) GemmKernel.RunByRows<Scalar, float, TE, TD>(p, epilogue, done, packA);
                else GemmKernel.Run<Scalar, float, TE>(p, epilogue);
                break;
        }
        if (!byRows) done.Finished(0, p.M);
    }

    /// <summary>
    /// dx[b, i] = f′(below[b, i]) · Σ_j W[i, j]·dz[b, j], four rows of W at a time (four independent chains), each
    /// row read once, front to back. The lanes are added up in a fixed order, then the tail; the same for any thread count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowDots<TS, TV, TAct>(float* dz, float* weights, float* below, float* dx, int batch, int inputs, int outputs, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        int w = TS.Count, vectorEnd = outputs / w * w;
        float* lanes = stackalloc float[4 * 16];
        for (int b = 0; b < batch; b++)
        {
            float* g = dz + (nint)b * outputs;
            int i = 0;
            for (; i + 4 <= inputs; i += 4)
            {
                float* r0 = weights + (nint)i * outputs, r1 = r0 + outputs, r2 = r1 + outputs, r3 = r2 + outputs;
                TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
                for (int j = 0; j < vectorEnd; j += w)
                {
                    TV gj = TS.Load(g + j);
                    s0 = TS.MultiplyAdd(TS.Load(r0 + j), gj, s0); s1 = TS.MultiplyAdd(TS.Load(r1 + j), gj, s1);
                    s2 = TS.MultiplyAdd(TS.Load(r2 + j), gj, s2); s3 = TS.MultiplyAdd(TS.Load(r3 + j), gj, s3);
                }
                TS.Store(lanes, s0); TS.Store(lanes + 16, s1); TS.Store(lanes + 32, s2); TS.Store(lanes + 48, s3);
                for (int r = 0; r < 4; r++)
                    Finish(lanes + 16 * r, w, weights + (nint)(i + r) * outputs, g, vectorEnd, outputs, below, dx, (nint)b * inputs + i + r, activation);
            }
            for (; i < inputs; i++)
            {
                float* r0 = weights + (nint)i * outputs;
                TV s0 = TS.Zero;
                for (int j = 0; j < vectorEnd; j += w) s0 = TS.MultiplyAdd(TS.Load(r0 + j), TS.Load(g + j), s0);
                TS.Store(lanes, s0);
                Finish(lanes, w, r0, g, vectorEnd, outputs, below, dx, (nint)b * inputs + i, activation);
            }
        }
    }

    /// <summary>One row's dot product: its lanes in order, then the columns past the last whole vector; then f′ and the store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TAct>(float* lanes, int count, float* row, float* g, int from, int to, float* below, float* dx, nint at, TAct activation)
        where TAct : struct, IActivation
    {
        float sum = 0f;
        for (int lane = 0; lane < count; lane++) sum += lanes[lane];
        for (int j = from; j < to; j++) sum += row[j] * g[j];
        dx[at] = activation.Backward<Scalar, float>(sum, below[at]);
    }

    /// <summary>sum[n] = Σ_row dz[row, n], four vectors of columns at a time, rows in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSums<TS, TV>(float* dz, float* sum, int rows, int cols)
        where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, col = 0;
        for (; col + 4 * w <= cols; col += 4 * w)
        {
            TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
            float* p = dz + col;
            for (int row = 0; row < rows; row++, p += cols)
            {
                s0 = TS.Add(s0, TS.Load(p)); s1 = TS.Add(s1, TS.Load(p + w));
                s2 = TS.Add(s2, TS.Load(p + 2 * w)); s3 = TS.Add(s3, TS.Load(p + 3 * w));
            }
            TS.Store(sum + col, s0); TS.Store(sum + col + w, s1); TS.Store(sum + col + 2 * w, s2); TS.Store(sum + col + 3 * w, s3);
        }
        for (; col + w <= cols; col += w)
        {
            TV s = TS.Zero;
            float* p = dz + col;
            for (int row = 0; row < rows; row++, p += cols) s = TS.Add(s, TS.Load(p));
            TS.Store(sum + col, s);
        }
        for (; col < cols; col++)
        {
            float s = 0f;
            float* p = dz + col;
            for (int row = 0; row < rows; row++, p += cols) s += *p;
            sum[col] = s;
        }
    }
}
