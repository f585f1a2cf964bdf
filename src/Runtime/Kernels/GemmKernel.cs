// The inside of Gemm: blocking, packing of B (and of a large xᵀ), the 6-row × 2-vector micro-kernel, and the split over threads.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Functional.Kernels;

/// <summary>
/// The loop nest (BLIS's, with A read in place):
/// <code>
/// for each block of NBlock columns of this chunk                    (B block in L2)
///   for each block of ≤ KBlock rows of B, sizes equal, fixed by K    (k order fixed by K and width)
///     pack B[kBlock, nBlock] into panels of kc × 2w floats         (one panel ≤ 25 KB: mostly in L1)
///     for each block of MBlock rows of A                          (A block in L2)
///       for each panel                                            (panel stays in L1 …)
///         for each 6-row tile: micro-kernel                        (… while A streams past it)
/// </code>
/// The tile's partial sums go back to C between k blocks; the epilogue runs on the last. The row split
/// (<see cref="RunByRows{TS, TV, TE, TD}"/>, for the weight gradient) packs all of B first and runs the rows of each
/// chunk in blocks of MBlock; a large xᵀ is then packed per block and k block into BLIS's micro-panels.
/// </summary>
internal static unsafe class GemmKernel
{
    /// <summary>Rows of a micro-tile. 6 rows × 2 vectors = 12 accumulators, + 2 for B and 1 broadcast = 15 of 16 ymm registers.</summary>
    public const int Rows = 6;

    /// <summary>
    /// Most rows of B in one packed block. K = 784 then runs as two blocks of 392: a panel of 392 × 16 floats (25 KB at
    /// AVX2) mostly stays in L1 while the six rows of A stream past it. Measured on Zen 3 against 256 (four blocks: the
    /// tile's partial sums go to memory and back twice as often) and 784 (one block, a 50 KB panel read from L2):
    /// about 3% faster than either for the 784-wide forward.
    /// </summary>
    public const int KBlock = 400;

    /// <summary>Rows of A per block: 120 × 256 floats = 120 KB, which stays in L2 while every panel passes over it.</summary>
    public const int MBlock = 120;

    /// <summary>Columns of B packed at once: KBlock × 128 floats = 200 KB of packing scratch per thread, well inside L2.</summary>
    public const int NBlock = 128;

    /// <summary>The widest panel (2 × 16 lanes at Vector512), for sizing the edge tile.</summary>
    internal const int MaxPanel = 32;

    /// <summary>
    /// C[m, n] (row stride Ldc) from A(m, k) at A + m·ARow + k·ACol and B[k, n] at B + k·Ldb + n·BCol. B is row-major
    /// (BCol = 1) or, for a transposed B such as Wᵀ read from W, column-major (Ldb = 1): such a B only takes the packed
    /// path, whose packing transposes it (<see cref="PackTransposed"/>).
    /// </summary>
    public readonly struct Operands(float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc, int m, int k, int n, nint bCol = 1)
    {
        public readonly float* A = a, B = b, C = c;
        public readonly nint ARow = aRow, ACol = aCol, Ldb = ldb, BCol = bCol, Ldc = ldc;
        public readonly int M = m, K = k, N = n;

        /// <summary>B is stored transposed: B[k, n] at B + n·BCol + k. (A transposed B with BCol = 1 has a single row, which both readings find in the same place.)</summary>
        public bool TransposedB => BCol != 1;
    }

    /// <summary>
    /// At most this many rows go the direct way (<see cref="Direct{TS, TV, TE}"/>): B read in place, no packing.
    /// With one or two rows each element of B is used once or twice, so copying it first would double the traffic.
    /// </summary>
    public const int DirectRows = 2;

    /// <summary>
    /// At most this many k (and more than <see cref="DirectRows"/> rows) go the streaming way (<see cref="Stream{TS, TV, TE}"/>):
    /// C is written row after row. With so few products per element of C, the product is bound by writing C (a batch-1
    /// weight gradient is an outer product), and C in row order is what the prefetchers stream best; the packed path's
    /// column panels would visit C in 1 KB strides. Hidden1's batch-1 dW went from 54 µs to 20–28 µs.
    /// </summary>
    public const int StreamDepth = 4;

    private enum Path { Packed, Direct, Stream }

    /// <summary>Cuts the columns into chunks of whole panels (or, for a few rows, whole strips; for a few k, whole rows) for the threads the product earns.</summary>
    public static void Run<TS, TV, TE>(in Operands p, TE epilogue)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        if (p.TransposedB && p.Ldb != 1) throw new ArgumentException($"B has neither contiguous rows nor contiguous columns (strides {p.Ldb} and {p.BCol})", nameof(p));
        // The direct and streaming paths read B's rows in place: a transposed B is packed whatever the shape.
        var path = p.TransposedB ? Path.Packed : p.M <= DirectRows ? Path.Direct : p.K <= StreamDepth ? Path.Stream : Path.Packed;
        int unit = Unit<TS, TV>(path, p.M);
        int units = path == Path.Stream ? p.M : (p.N + unit - 1) / unit;
        // Products of a few rows or a few k are bound by memory, not by arithmetic: count the bytes of B (a few rows)
        // or of C (a few k) as work too, so a batch-1 pass over a large weight matrix is shared (each core then
        // streams half of it through its own L2).
        long work = 2L * p.M * p.N * p.K + path switch { Path.Direct => 16L * p.N * p.K, Path.Stream => 16L * p.M * p.N, _ => 0 };
        int chunks = Parallelism.ChunksFor(work, units);
        var job = new Job<TS, TV, TE>(p, epilogue, units, path);
        if (chunks == 1) job.Run(0, 1);
        else Parallelism.Run(ref job, chunks);
    }

    /// <summary>Columns per unit of work: a strip of the direct path, or a panel of the packed one (the streaming path's unit is a row).</summary>
    private static int Unit<TS, TV>(Path path, int rows) where TS : ISimd<TV> where TV : struct
        => (path == Path.Direct ? StripVectors(rows) : 2) * TS.Count;

    private readonly struct Job<TS, TV, TE>(Operands p, TE epilogue, int units, Path path) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(units, chunk, chunks);
            if (first >= last) return;
            if (path == Path.Stream)
            {
                Stream<TS, TV, TE>(p, epilogue, first, last);
                return;
            }
            int unit = Unit<TS, TV>(path, p.M);
            int from = first * unit, to = Math.Min(last * unit, p.N);
            if (path == Path.Direct) Direct<TS, TV, TE>(p, epilogue, from, to);
            else Columns<TS, TV, TE>(p, epilogue, from, to);
        }
    }

    /// <summary>What a product split by rows does with each block of rows of C once they are final.</summary>
    public interface IRowsDone
    {
        /// <summary>Rows [first, first + count) of C hold their final values; called on the thread that computed them.</summary>
        void Finished(int first, int count);
    }

    /// <summary>
    /// The packed or streaming product (more than <see cref="DirectRows"/> rows) split over rows of C rather than
    /// columns, handing each block of at most <see cref="MBlock"/> finished rows to <paramref name="done"/> while they
    /// are still in the computing core's L2. The weight gradient uses it to apply the optimizer step in the same
    /// chunk: each core then updates rows it wrote itself, contiguous in θ and v, where a separate pass would read
    /// half of them from the other core's cache. B is packed once, whole, on the calling thread (for a weight gradient
    /// it is dz, a few hundred KB at most), and shared by every chunk; with <paramref name="packA"/>, each chunk also
    /// packs its own blocks of a transposed A (<see cref="PackTransposedA"/>). The tiles and k blocks are those of
    /// <see cref="Run{TS, TV, TE}"/> (rows cut at multiples of six, panels from column 0), so every element of C
    /// is the same bit for bit.
    /// </summary>
    public static void RunByRows<TS, TV, TE, TD>(in Operands p, TE epilogue, TD done, bool packA)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue where TD : struct, IRowsDone
    {
        if (p.M <= DirectRows) throw new ArgumentException($"a product of {p.M} rows takes the direct path, which splits columns", nameof(p));
        if (packA && p.ARow != 1) throw new ArgumentException($"only a transposed A (row stride 1) is packed, got row stride {p.ARow}", nameof(p));
        if (p.TransposedB) throw new ArgumentException("the row split packs B's rows as they lie: a transposed B takes the column split", nameof(p));
        bool stream = p.K <= StreamDepth;
        float* packed = stream ? null : PackWhole<TS, TV>(p);
        int units = (p.M + Rows - 1) / Rows;
        // The products, and the 16 bytes per element of C that done's pass (the optimizer) reads and writes.
        long work = 2L * p.M * p.N * p.K + 16L * p.M * p.N;
        int chunks = Parallelism.ChunksFor(work, units);
        var job = new RowsJob<TS, TV, TE, TD>(p, epilogue, done, packed, packA, units);
        if (chunks == 1) job.Run(0, 1);
        else Parallelism.Run(ref job, chunks);
    }

    private readonly struct RowsJob<TS, TV, TE, TD>(Operands p, TE epilogue, TD done, float* packed, bool packA, int units) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue where TD : struct, IRowsDone
    {
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(units, chunk, chunks);
            int end = Math.Min(last * Rows, p.M);
            for (int row = first * Rows; row < end; row += MBlock)
            {
                int blockEnd = Math.Min(row + MBlock, end);
                if (packed == null) Stream<TS, TV, TE>(p, epilogue, row, blockEnd);
                else PackedRows<TS, TV, TE>(p, epilogue, packed, packA, row, blockEnd);
                done.Finished(row, blockEnd - row);
            }
        }
    }

    /// <summary>
    /// All of B in <see cref="Pack{TS, TV}"/>'s panels, k block after k block: the block starting at row pc of B
    /// begins at pc × (N rounded up to whole panels), its panel for columns from j at j × kc further on.
    /// </summary>
    private static float* PackWhole<TS, TV>(in Operands p) where TS : ISimd<TV> where TV : struct
    {
        int panel = 2 * TS.Count, kc0 = KcFor(p.K, panel);
        nint width = (p.N + panel - 1) / panel * panel;
        float* packed = Scratch.Whole(p.K * width);
        for (int pc = 0; pc < p.K; pc += kc0)
            Pack<TS, TV>(p.B + pc * p.Ldb, p.Ldb, Math.Min(kc0, p.K - pc), p.N, packed + pc * width);
        return packed;
    }

    /// <summary>
    /// Rows [from, to) of C, all columns, from B packed whole; <paramref name="from"/> is a multiple of <see cref="Rows"/>.
    /// A transposed A (<see cref="Operands.ARow"/> = 1: a weight gradient's xᵀ, whose rows are x's columns) is first
    /// packed for each k block (<see cref="PackTransposedA"/>), so the micro-kernel reads each tile's six rows from one
    /// contiguous run in L2 rather than six floats from each of kc rows of x, a whole row of x apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackedRows<TS, TV, TE>(in Operands p, TE e, float* packed, bool packA, int from, int to)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        int panel = 2 * TS.Count, kc0 = KcFor(p.K, panel);
        nint width = (p.N + panel - 1) / panel * panel;
        float* tile = stackalloc float[Rows * MaxPanel];
        float* packedA = packA ? Scratch.PackingA() : null;
        for (int pc = 0; pc < p.K; pc += kc0)
        {
            int kc = Math.Min(kc0, p.K - pc);
            bool accumulate = pc > 0, finish = pc + kc >= p.K;
            float* block = packed + pc * width;
            var a = packA ? PackTransposedA(p, from, to, pc, kc, packedA) : InPlace(p, pc);
            for (int col = 0; col < p.N; col += panel)
                Tiles<TS, TV, TE>(p, e, a, block + col * kc, kc, accumulate, finish, from, to, col, Math.Min(panel, p.N - col), tile);
        }
    }

    /// <summary>
    /// Where the micro-kernel finds the six rows of A for the tile starting at row r: from
    /// <c>Origin + (r − FirstRow)·TileStep</c>, row i of the tile <c>i·Row</c> further on, each next k <c>Column</c> further.
    /// </summary>
    internal readonly struct ATiles(float* origin, int firstRow, nint tileStep, nint row, nint column) : ITileSource<StridedRows>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public StridedRows Tile(int r) => new(origin + (r - firstRow) * tileStep, row, column);
    }

    /// <summary>Where the micro-kernel reads one tile's rows of A: A(i, k) at <c>Row(i) + Offset(k)</c>, k counted from the k block's start.</summary>
    internal interface ITileRows
    {
        float* Row(int i);
        nint Offset(nint k);
    }

    /// <summary>The tiles of a k block of A, each as an <see cref="ITileRows"/>.</summary>
    internal interface ITileSource<TR> where TR : struct, ITileRows
    {
        /// <summary>The tile whose first row is row <paramref name="r"/> of C.</summary>
        TR Tile(int r);
    }

    /// <summary>A matrix read through two strides: row i at a + i·row, k at k·column further.</summary>
    internal readonly struct StridedRows(float* a, nint row, nint column) : ITileRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* Row(int i) => a + i * row;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public nint Offset(nint k) => k * column;
    }

    /// <summary>A read where it lies, from k block pc on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ATiles InPlace(in Operands p, int pc) => new(p.A + pc * p.ACol, 0, p.ARow, p.ARow, p.ACol);

    /// <summary>
    /// Copies rows [from, to) of a transposed A (A(m, k) at m + k·ACol), k block [pc, pc + kc), into
    /// <paramref name="target"/> as BLIS's micro-panels: tile after tile, each kc groups of six floats (its six rows at
    /// one k). Each group is six contiguous floats of one row of x, copied as two overlapping four-float vectors, so
    /// nothing is read or written past them. A ragged last tile copies only its rows: the micro-kernel reads no others.
    /// A pure copy, so the product is the same bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ATiles PackTransposedA(in Operands p, int from, int to, int pc, int kc, float* target)
    {
        nint ld = p.ACol;
        for (int row = from; row < to; row += Rows)
        {
            int rows = Math.Min(Rows, to - row);
            float* source = p.A + row + pc * ld;
            float* panel = target + (nint)(row - from) * kc;
            if (rows == Rows)
                for (int k = 0; k < kc; k++, source += ld, panel += Rows)
                {
                    Vector128<float> low = Vector128.Load(source), high = Vector128.Load(source + 2);
                    low.Store(panel);
                    high.Store(panel + 2);
                }
            else
                for (int k = 0; k < kc; k++, source += ld, panel += Rows)
                    for (int i = 0; i < rows; i++) panel[i] = source[i];
        }
        return new ATiles(target, from, kc, 1, Rows);
    }

    /// <summary>
    /// Rows [from, to) of a product over at most <see cref="StreamDepth"/> k, each row of C written left to right: four
    /// vectors at a time, then single vectors, then single lanes. Each vector lane is the same FMA chain in k order as
    /// in the packed path; as in the direct path, only the last N mod w columns are summed at the one-lane width. The
    /// split over threads (whole rows) changes nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stream<TS, TV, TE>(in Operands p, TE e, int from, int to)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        int w = TS.Count, n = p.N, depth = p.K;
        nint aCol = p.ACol, ldb = p.Ldb;
        for (nint row = from; row < to; row++)
        {
            float* a = p.A + row * p.ARow;
            float* c = p.C + row * p.Ldc;
            int col = 0;
            for (; col + 4 * w <= n; col += 4 * w)
            {
                TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero;
                float* b = p.B + col;
                for (int k = 0; k < depth; k++, b += ldb)
                {
                    TV x = TS.Broadcast(a[k * aCol]);
                    c0 = TS.MultiplyAdd(x, TS.Load(b), c0); c1 = TS.MultiplyAdd(x, TS.Load(b + w), c1);
                    c2 = TS.MultiplyAdd(x, TS.Load(b + 2 * w), c2); c3 = TS.MultiplyAdd(x, TS.Load(b + 3 * w), c3);
                }
                TS.Store(c + col, e.Apply<TS, TV>(c0, row, col)); TS.Store(c + col + w, e.Apply<TS, TV>(c1, row, col + w));
                TS.Store(c + col + 2 * w, e.Apply<TS, TV>(c2, row, col + 2 * w)); TS.Store(c + col + 3 * w, e.Apply<TS, TV>(c3, row, col + 3 * w));
            }
            for (; col + w <= n; col += w)
            {
                TV c0 = TS.Zero;
                float* b = p.B + col;
                for (int k = 0; k < depth; k++, b += ldb) c0 = TS.MultiplyAdd(TS.Broadcast(a[k * aCol]), TS.Load(b), c0);
                TS.Store(c + col, e.Apply<TS, TV>(c0, row, col));
            }
            for (; col < n; col++)
            {
                float c0 = 0f;
                float* b = p.B + col;
                for (int k = 0; k < depth; k++, b += ldb) c0 = Scalar.MultiplyAdd(a[k * aCol], *b, c0);
                c[col] = e.Apply<Scalar, float>(c0, row, col);
            }
        }
    }

    /// <summary>
    /// Vectors per strip of the direct path: eight for one row (four cache lines of each row of B per pass, so the
    /// prefetcher sees long runs), four for two rows (eight accumulators either way).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StripVectors(int rows) => rows == 1 ? 8 : 4;

    /// <summary>
    /// Columns [from, to) for a product of at most <see cref="DirectRows"/> rows, reading B where it lies: strips of
    /// eight (one row) or four vectors, then single vectors, then (only in the last strip, whoever runs it) single lanes.
    /// Every lane is the same FMA chain in k order as in the packed path; only the last N mod w columns differ,
    /// summed at the one-lane width, and those are the same columns for any split.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Direct<TS, TV, TE>(in Operands p, TE e, int from, int to)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        int w = TS.Count, col = from;
        if (p.M == 1)
            for (; col + 8 * w <= to; col += 8 * w) Strip8<TS, TV, TE>(p, e, 0, col);
        for (; col + 4 * w <= to; col += 4 * w)
            for (int row = 0; row < p.M; row++) Strip4<TS, TV, TE>(p, e, row, col);
        for (; col + w <= to; col += w)
            for (int row = 0; row < p.M; row++) Strip1<TS, TV, TE>(p, e, row, col);
        for (; col < to; col++)
            for (int row = 0; row < p.M; row++) Strip1<Scalar, float, TE>(p, e, row, col);
    }

    /// <summary>
    /// How many rows of B ahead a one-row strip asks for its lines. B's rows are a whole row of W apart (1 KB for
    /// Hidden1), a stride the hardware prefetchers follow late: Hidden1's batch-1 forward with W in L3 took 9–11% less
    /// time with 8 rows (101 interleaved pairs of 30 calls, four runs; 4 and 6 rows gained less, 16 none, 32 lost).
    /// </summary>
    private const int PrefetchRows = 8;

    /// <summary>Asks for the lines of eight vectors from <paramref name="at"/> (x86; elsewhere nothing). A prefetch never faults, so past B's end it is harmless.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchStrip<TS, TV>(float* at) where TS : ISimd<TV> where TV : struct
    {
        if (!Sse.IsSupported) return;
        for (int line = 0; line < 8 * TS.Count; line += 16) Sse.Prefetch0(at + line);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Strip8<TS, TV, TE>(in Operands p, TE e, nint row, nint col)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        nint w = TS.Count, ldb = p.Ldb, aCol = p.ACol;
        float* a = p.A + row * p.ARow;
        float* b = p.B + col;
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, c4 = TS.Zero, c5 = TS.Zero, c6 = TS.Zero, c7 = TS.Zero;
        nint ahead = PrefetchRows * ldb;
        for (int k = 0; k < p.K; k++, a += aCol, b += ldb)
        {
            PrefetchStrip<TS, TV>(b + ahead);
            TV x = TS.Broadcast(*a);
            c0 = TS.MultiplyAdd(x, TS.Load(b), c0); c1 = TS.MultiplyAdd(x, TS.Load(b + w), c1);
            c2 = TS.MultiplyAdd(x, TS.Load(b + 2 * w), c2); c3 = TS.MultiplyAdd(x, TS.Load(b + 3 * w), c3);
            c4 = TS.MultiplyAdd(x, TS.Load(b + 4 * w), c4); c5 = TS.MultiplyAdd(x, TS.Load(b + 5 * w), c5);
            c6 = TS.MultiplyAdd(x, TS.Load(b + 6 * w), c6); c7 = TS.MultiplyAdd(x, TS.Load(b + 7 * w), c7);
        }
        float* c = p.C + row * p.Ldc + col;
        TS.Store(c, e.Apply<TS, TV>(c0, row, col)); TS.Store(c + w, e.Apply<TS, TV>(c1, row, col + w));
        TS.Store(c + 2 * w, e.Apply<TS, TV>(c2, row, col + 2 * w)); TS.Store(c + 3 * w, e.Apply<TS, TV>(c3, row, col + 3 * w));
        TS.Store(c + 4 * w, e.Apply<TS, TV>(c4, row, col + 4 * w)); TS.Store(c + 5 * w, e.Apply<TS, TV>(c5, row, col + 5 * w));
        TS.Store(c + 6 * w, e.Apply<TS, TV>(c6, row, col + 6 * w)); TS.Store(c + 7 * w, e.Apply<TS, TV>(c7, row, col + 7 * w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Strip4<TS, TV, TE>(in Operands p, TE e, nint row, nint col)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        nint w = TS.Count, ldb = p.Ldb, aCol = p.ACol;
        float* a = p.A + row * p.ARow;
        float* b = p.B + col;
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero;
        for (int k = 0; k < p.K; k++, a += aCol, b += ldb)
        {
            TV x = TS.Broadcast(*a);
            c0 = TS.MultiplyAdd(x, TS.Load(b), c0); c1 = TS.MultiplyAdd(x, TS.Load(b + w), c1);
            c2 = TS.MultiplyAdd(x, TS.Load(b + 2 * w), c2); c3 = TS.MultiplyAdd(x, TS.Load(b + 3 * w), c3);
        }
        float* c = p.C + row * p.Ldc + col;
        TS.Store(c, e.Apply<TS, TV>(c0, row, col)); TS.Store(c + w, e.Apply<TS, TV>(c1, row, col + w));
        TS.Store(c + 2 * w, e.Apply<TS, TV>(c2, row, col + 2 * w)); TS.Store(c + 3 * w, e.Apply<TS, TV>(c3, row, col + 3 * w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Strip1<TS, TV, TE>(in Operands p, TE e, nint row, nint col)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        nint ldb = p.Ldb, aCol = p.ACol;
        float* a = p.A + row * p.ARow;
        float* b = p.B + col;
        TV c0 = TS.Zero;
        for (int k = 0; k < p.K; k++, a += aCol, b += ldb)
            c0 = TS.MultiplyAdd(TS.Broadcast(*a), TS.Load(b), c0);
        TS.Store(p.C + row * p.Ldc + col, e.Apply<TS, TV>(c0, row, col));
    }

    /// <summary>
    /// Equal k blocks of at most <see cref="KBlock"/> rows, and at most 6,400 floats (25 KB) per panel, so the
    /// 32-float panels of Vector512 take blocks of 200: the summation order depends on K and the width only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int KcFor(int k, int panel)
    {
        int most = Math.Min(KBlock, 6400 / panel);
        if (k <= most) return k;
        int blocks = (k + most - 1) / most;
        return (k + blocks - 1) / blocks;
    }

    /// <summary>Computes columns [from, to) of C, all rows. <paramref name="from"/> is a multiple of the panel width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns<TS, TV, TE>(in Operands p, TE e, int from, int to)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        int w = TS.Count, panel = 2 * w;
        float* packed = Scratch.Packing();
        float* tile = stackalloc float[Rows * MaxPanel];
        int kc0 = KcFor(p.K, panel);
        for (int jc = from; jc < to; jc += NBlock)
        {
            int nc = Math.Min(NBlock, to - jc);
            int pc = 0;
            do
            {
                int kc = Math.Min(kc0, p.K - pc);
                bool accumulate = pc > 0, finish = pc + kc >= p.K;
                if (p.TransposedB) PackTransposed<TS, TV>(p.B + jc * p.BCol + pc, p.BCol, kc, nc, packed);
                else Pack<TS, TV>(p.B + pc * p.Ldb + jc, p.Ldb, kc, nc, packed);
                for (int ic = 0; ic < p.M; ic += MBlock)
                {
                    int mEnd = Math.Min(ic + MBlock, p.M);
                    for (int jr = 0; jr < nc; jr += panel)
                    {
                        int cols = Math.Min(panel, nc - jr), col = jc + jr;
                        float* bPanel = packed + (nint)(jr / panel) * kc * panel;
                        Tiles<TS, TV, TE>(p, e, InPlace(p, pc), bPanel, kc, accumulate, finish, ic, mEnd, col, cols, tile);
                    }
                }
                pc += kc;
            } while (pc < p.K);
        }
    }

    /// <summary>One panel of columns [col, col + cols) against rows [from, to) of A (k block of kc, found through <paramref name="a"/>): tile after tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Tiles<TS, TV, TE>(in Operands p, TE e, ATiles a, float* bPanel, int kc, bool accumulate, bool finish, int from, int to, int col, int cols, float* tile)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
        => Tiles<TS, TV, TE, ATiles, StridedRows>(p, e, a, bPanel, kc, accumulate, finish, from, to, col, cols, tile);

    /// <summary>The same, with A's rows found through any <see cref="ITileSource{TR}"/> (an implicit im2col matrix: <see cref="Convolution"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Tiles<TS, TV, TE, TA, TR>(in Operands p, TE e, TA a, float* bPanel, int kc, bool accumulate, bool finish, int from, int to, int col, int cols, float* tile)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue where TA : struct, ITileSource<TR> where TR : struct, ITileRows
    {
        // C ← C + A·B: C's old value starts the first k block's sums (it would be gone by the last block, overwritten
        // by the partial sums), and the last block stores what it summed.
        if (TE.AddsToOutput)
        {
            Tiles<TS, TV, Plain, TA, TR>(p, default, a, bPanel, kc, accumulate: true, finish, from, to, col, cols, tile);
            return;
        }
        int panel = 2 * TS.Count;
        for (int row = from; row < to; row += Rows)
        {
            int rows = Math.Min(Rows, to - row);
            TR at = a.Tile(row);
            float* c = p.C + row * p.Ldc + col;
            if (rows == Rows && cols == panel)
                Tile<TS, TV, TE, TR>(at, bPanel, kc, c, p.Ldc, accumulate, finish, e, row, col, Rows);
            else if (rows == 4 && cols == panel) // 64, 256 and 784 all leave four rows: no waste, no copy
                Tile4<TS, TV, TE, TR>(at, bPanel, kc, c, p.Ldc, accumulate, finish, e, row, col, 4);
            else
                Edge<TS, TV, TE, TR>(at, bPanel, kc, c, p.Ldc, accumulate, finish, e, row, col, rows, cols, tile);
        }
    }

    /// <summary>
    /// B[kc, nc] (row stride ldb) → panels of kc × 2w floats, one after another, columns past nc zeroed,
    /// so the micro-kernel reads B with unit stride and never needs a column tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<TS, TV>(float* b, nint ldb, int kc, int nc, float* packed)
        where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, panel = 2 * w;
        int full = nc / panel, rest = nc - full * panel;
        nint panelSize = (nint)kc * panel;
        for (int k = 0; k < kc; k++)
        {
            float* source = b + k * ldb;
            float* target = packed + (nint)k * panel;
            for (int j = 0; j < full; j++, source += panel, target += panelSize)
            {
                TS.Store(target, TS.Load(source));
                TS.Store(target + w, TS.Load(source + w));
            }
            if (rest > 0)
            {
                int i = 0;
                for (; i < rest; i++) target[i] = source[i];
                for (; i < panel; i++) target[i] = 0f;
            }
        }
    }

    /// <summary>
    /// The panels of <see cref="Pack{TS, TV}"/> from a B stored transposed: B[k, n] at b + n·ldt + k, so each panel's
    /// 2w columns are 2w rows of the stored matrix (for the input gradient, 2w rows of W, read as Wᵀ). Blocks of 8 k ×
    /// 8 columns go through AVX's 8×8 register transpose, each reading eight contiguous floats of eight rows; what they
    /// leave (k past a multiple of 8, columns past the last full eight, zeros past nc) is copied one float at a time.
    /// This replaced transposing all of W first and packing the copy: the copy's write and read were 4–14% of the
    /// input gradient. A pure copy: the product is the same bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackTransposed<TS, TV>(float* b, nint ldt, int kc, int nc, float* packed)
        where TS : ISimd<TV> where TV : struct
    {
        int panel = 2 * TS.Count;
        bool vector = Avx.IsSupported && panel % 8 == 0;
        for (int j0 = 0; j0 < nc; j0 += panel, packed += (nint)kc * panel)
        {
            int cols = Math.Min(panel, nc - j0);
            float* rows = b + j0 * ldt;
            int k8 = vector ? kc & ~7 : 0, j8 = vector ? cols & ~7 : 0;
            for (int k = 0; k < k8; k += 8)
                for (int j = 0; j < j8; j += 8)
                    Transposition.Transpose8x8(rows + j * ldt + k, ldt, packed + k * panel + j, panel);
            for (int k = 0; k < kc; k++)
                for (int j = k < k8 ? j8 : 0; j < panel; j++)
                    packed[k * panel + j] = j < cols ? rows[j * ldt + k] : 0f;
        }
    }

    /// <summary>
    /// A ragged tile: run the full micro-kernel on a copy of the valid part of C (rows past the edge repeat the last
    /// row of A, so they are finite and simply dropped), then store the valid part with the epilogue one lane at a
    /// time, so no load or store reaches past the matrix.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Edge<TS, TV, TE, TR>(TR a, float* b, int kc, float* c, nint ldc, bool accumulate, bool finish, TE e, nint row, nint col, int rows, int cols, float* tile)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue where TR : struct, ITileRows
    {
        int panel = 2 * TS.Count;
        if (accumulate)
            for (int r = 0; r < Rows; r++)
                for (int j = 0; j < panel; j++)
                    tile[r * panel + j] = r < rows && j < cols ? c[r * ldc + j] : 0f;
        if (rows <= 4) Tile4<TS, TV, Plain, TR>(a, b, kc, tile, panel, accumulate, false, default, row, col, rows);
        else Tile<TS, TV, Plain, TR>(a, b, kc, tile, panel, accumulate, false, default, row, col, rows);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
            {
                float v = tile[r * panel + j];
                c[r * ldc + j] = finish ? e.Apply<Scalar, float>(v, row + r, col + j) : v;
            }
    }

    /// <summary>
    /// The micro-kernel: a 6 × 2w tile of C += A[6 rows, kc] · panel[kc, 2w], in twelve registers.
    /// A(r, k) is read at <c>a.Row(r) + a.Offset(k)</c>, where row r past <paramref name="rows"/> repeats the last valid row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TS, TV, TE, TR>(TR a, float* b, int kc, float* c, nint ldc, bool accumulate, bool finish, TE e, nint row, nint col, int rows)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue where TR : struct, ITileRows
    {
        nint w = TS.Count;
        float* a0 = a.Row(0);
        float* a1 = a.Row(rows > 1 ? 1 : 0);
        float* a2 = a.Row(rows > 2 ? 2 : rows - 1);
        float* a3 = a.Row(rows > 3 ? 3 : rows - 1);
        float* a4 = a.Row(rows > 4 ? 4 : rows - 1);
        float* a5 = a.Row(rows > 5 ? 5 : rows - 1);
        TV c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            float* t = c;
            c00 = TS.Load(t); c01 = TS.Load(t + w); t += ldc;
            c10 = TS.Load(t); c11 = TS.Load(t + w); t += ldc;
            c20 = TS.Load(t); c21 = TS.Load(t + w); t += ldc;
            c30 = TS.Load(t); c31 = TS.Load(t + w); t += ldc;
            c40 = TS.Load(t); c41 = TS.Load(t + w); t += ldc;
            c50 = TS.Load(t); c51 = TS.Load(t + w);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = TS.Zero;
        }

        // Four k per pass, then one at a time: the loop's own three instructions (two adds, compare-and-branch) come
        // once per four k rather than once per 20 (12 FMAs, 2 loads of B, 6 broadcasts of A). Each FMA chain keeps
        // its k order. Medians of 31 interleaved pairs, three runs, one thread, 784×256 at batch 256: the forward
        // 2–6%, the weight gradient 2–13%, the input gradient 0–4% faster, most when the host was busy (our reading:
        // a busy sibling hyperthread takes a share of the core's issue width); at batch 64 within ±3% but once.
        nint k = 0;
        float* bEnd = b + (nint)kc * 2 * w, bEnd4 = b + (nint)(kc & ~3) * 2 * w;
        for (; b < bEnd4; b += 8 * w, k += 4)
        {
            nint at = a.Offset(k);
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV x = TS.Broadcast(a0[at]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Broadcast(a4[at]);
            c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Broadcast(a5[at]);
            c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
            nint at1 = a.Offset(k + 1);
            b0 = TS.Load(b + 2 * w); b1 = TS.Load(b + 3 * w);
            x = TS.Broadcast(a0[at1]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at1]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at1]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at1]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Broadcast(a4[at1]);
            c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Broadcast(a5[at1]);
            c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
            nint at2 = a.Offset(k + 2);
            b0 = TS.Load(b + 4 * w); b1 = TS.Load(b + 5 * w);
            x = TS.Broadcast(a0[at2]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at2]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at2]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at2]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Broadcast(a4[at2]);
            c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Broadcast(a5[at2]);
            c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
            nint at3 = a.Offset(k + 3);
            b0 = TS.Load(b + 6 * w); b1 = TS.Load(b + 7 * w);
            x = TS.Broadcast(a0[at3]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at3]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at3]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at3]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Broadcast(a4[at3]);
            c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Broadcast(a5[at3]);
            c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
        }
        for (; b < bEnd; b += 2 * w, k++)
        {
            nint at = a.Offset(k);
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV x = TS.Broadcast(a0[at]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Broadcast(a4[at]);
            c40 = TS.MultiplyAdd(x, b0, c40); c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Broadcast(a5[at]);
            c50 = TS.MultiplyAdd(x, b0, c50); c51 = TS.MultiplyAdd(x, b1, c51);
        }

        if (finish)
        {
            TS.Store(c, e.Apply<TS, TV>(c00, row, col)); TS.Store(c + w, e.Apply<TS, TV>(c01, row, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c10, row + 1, col)); TS.Store(c + w, e.Apply<TS, TV>(c11, row + 1, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c20, row + 2, col)); TS.Store(c + w, e.Apply<TS, TV>(c21, row + 2, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c30, row + 3, col)); TS.Store(c + w, e.Apply<TS, TV>(c31, row + 3, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c40, row + 4, col)); TS.Store(c + w, e.Apply<TS, TV>(c41, row + 4, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c50, row + 5, col)); TS.Store(c + w, e.Apply<TS, TV>(c51, row + 5, col + w));
        }
        else
        {
            TS.Store(c, c00); TS.Store(c + w, c01); c += ldc;
            TS.Store(c, c10); TS.Store(c + w, c11); c += ldc;
            TS.Store(c, c20); TS.Store(c + w, c21); c += ldc;
            TS.Store(c, c30); TS.Store(c + w, c31); c += ldc;
            TS.Store(c, c40); TS.Store(c + w, c41); c += ldc;
            TS.Store(c, c50); TS.Store(c + w, c51);
        }
    }

    /// <summary>
    /// The same micro-kernel for four rows (eight accumulators): the last tile when M leaves four or fewer rows.
    /// Per element it is the same FMA chain in the same k order as <see cref="Tile{TS, TV, TE, TR}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4<TS, TV, TE, TR>(TR a, float* b, int kc, float* c, nint ldc, bool accumulate, bool finish, TE e, nint row, nint col, int rows)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue where TR : struct, ITileRows
    {
        nint w = TS.Count;
        float* a0 = a.Row(0);
        float* a1 = a.Row(rows > 1 ? 1 : 0);
        float* a2 = a.Row(rows > 2 ? 2 : rows - 1);
        float* a3 = a.Row(rows > 3 ? 3 : rows - 1);
        TV c00, c01, c10, c11, c20, c21, c30, c31;
        if (accumulate)
        {
            float* t = c;
            c00 = TS.Load(t); c01 = TS.Load(t + w); t += ldc;
            c10 = TS.Load(t); c11 = TS.Load(t + w); t += ldc;
            c20 = TS.Load(t); c21 = TS.Load(t + w); t += ldc;
            c30 = TS.Load(t); c31 = TS.Load(t + w);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = TS.Zero;
        }

        // Four k per pass, then one at a time, as in Tile.
        nint k = 0;
        float* bEnd = b + (nint)kc * 2 * w, bEnd4 = b + (nint)(kc & ~3) * 2 * w;
        for (; b < bEnd4; b += 8 * w, k += 4)
        {
            nint at = a.Offset(k);
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV x = TS.Broadcast(a0[at]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            nint at1 = a.Offset(k + 1);
            b0 = TS.Load(b + 2 * w); b1 = TS.Load(b + 3 * w);
            x = TS.Broadcast(a0[at1]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at1]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at1]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at1]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            nint at2 = a.Offset(k + 2);
            b0 = TS.Load(b + 4 * w); b1 = TS.Load(b + 5 * w);
            x = TS.Broadcast(a0[at2]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at2]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at2]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at2]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            nint at3 = a.Offset(k + 3);
            b0 = TS.Load(b + 6 * w); b1 = TS.Load(b + 7 * w);
            x = TS.Broadcast(a0[at3]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at3]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at3]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at3]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
        }
        for (; b < bEnd; b += 2 * w, k++)
        {
            nint at = a.Offset(k);
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV x = TS.Broadcast(a0[at]);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(a1[at]);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(a2[at]);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(a3[at]);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
        }

        if (finish)
        {
            TS.Store(c, e.Apply<TS, TV>(c00, row, col)); TS.Store(c + w, e.Apply<TS, TV>(c01, row, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c10, row + 1, col)); TS.Store(c + w, e.Apply<TS, TV>(c11, row + 1, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c20, row + 2, col)); TS.Store(c + w, e.Apply<TS, TV>(c21, row + 2, col + w)); c += ldc;
            TS.Store(c, e.Apply<TS, TV>(c30, row + 3, col)); TS.Store(c + w, e.Apply<TS, TV>(c31, row + 3, col + w));
        }
        else
        {
            TS.Store(c, c00); TS.Store(c + w, c01); c += ldc;
            TS.Store(c, c10); TS.Store(c + w, c11); c += ldc;
            TS.Store(c, c20); TS.Store(c + w, c21); c += ldc;
            TS.Store(c, c30); TS.Store(c + w, c31);
        }
    }

    /// <summary>Per-thread packing scratch on the pinned heap, 64-byte aligned, made once per thread and then reused.</summary>
    private static class Scratch
    {
        private const int Floats = KBlock * NBlock;
        [ThreadStatic] private static float[]? buffer;
        [ThreadStatic] private static float[]? whole;
        [ThreadStatic] private static float[]? bufferA;

        /// <summary>One block of B, for <see cref="Columns{TS, TV, TE}"/>.</summary>
        public static float* Packing() => Aligned(buffer ??= GC.AllocateUninitializedArray<float>(Floats + 16, pinned: true));

        /// <summary>One block of a transposed A (<see cref="MBlock"/> rows × one k block), for <see cref="PackTransposedA"/>.</summary>
        public static float* PackingA() => Aligned(bufferA ??= GC.AllocateUninitializedArray<float>(MBlock * KBlock + 16, pinned: true));

        /// <summary>All of B, for <see cref="RunByRows{TS, TV, TE, TD}"/>: grown to the largest B seen, so steady-state steps allocate nothing.</summary>
        public static float* Whole(nint floats)
        {
            if (whole is null || whole.Length < floats + 16) whole = GC.AllocateUninitializedArray<float>((int)floats + 16, pinned: true);
            return Aligned(whole);
        }

        private static float* Aligned(float[] array)
        {
            float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            return (float*)(((nint)start + 63) & ~(nint)63);
        }
    }
}
