// Max and average pooling of NCHW images as PyTorch's max_pool2d and avg_pool2d compute them (no padding, floor mode).
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Functional.Kernels;

/// <summary>
/// The sizes of one pooling layer over a batch, validated when made: N × C planes of H × W, a KH × KW window moved by
/// SH down and SW across (PyTorch's default stride is the window), no padding. The output is N × C × OH × OW with
/// OH = ⌊(H − KH)/SH⌋ + 1 and OW = ⌊(W − KW)/SW⌋ + 1: rows and columns no whole window reaches are dropped, as
/// PyTorch's floor mode does.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct Pool2dShape
{
    /// <summary>A square <paramref name="size"/> × size window; <paramref name="stride"/> defaults to the window, as in PyTorch.</summary>
    public Pool2dShape(int batch, int channels, int height, int width, int size, int? stride = null)
        : this(batch, channels, height, width, size, size, stride ?? size, stride ?? size) { }

    /// <summary>Checks every size and computes the output's; throws <see cref="ArgumentException"/> naming the size that is wrong.</summary>
    public Pool2dShape(int batch, int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth)
    {
        Positive(batch, nameof(batch)); Positive(channels, nameof(channels)); Positive(height, nameof(height)); Positive(width, nameof(width));
        Positive(kernelHeight, "window's height"); Positive(kernelWidth, "window's width");
        Positive(strideHeight, "stride"); Positive(strideWidth, "stride");
        if (kernelHeight > height || kernelWidth > width)
            throw new ArgumentException($"the {kernelHeight}×{kernelWidth} pooling window is larger than the {height}×{width} input");
        (Batch, Channels, Height, Width, KernelHeight, KernelWidth, StrideHeight, StrideWidth) = (batch, channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth);
        OutputHeight = (height - kernelHeight) / strideHeight + 1;
        OutputWidth = (width - kernelWidth) / strideWidth + 1;
        if ((long)batch * channels * height * width > int.MaxValue)
            throw new ArgumentException($"the input would hold {(long)batch * channels * height * width:N0} floats, more than an array can");
    }

    /// <summary>N, images in the batch.</summary>
    public int Batch { get; }
    /// <summary>C, channels (pooled one by one).</summary>
    public int Channels { get; }
    /// <summary>H, input rows.</summary>
    public int Height { get; }
    /// <summary>W, input columns.</summary>
    public int Width { get; }
    /// <summary>KH, the window's rows.</summary>
    public int KernelHeight { get; }
    /// <summary>KW, the window's columns.</summary>
    public int KernelWidth { get; }
    /// <summary>SH, the step between windows down.</summary>
    public int StrideHeight { get; }
    /// <summary>SW, the step between windows across.</summary>
    public int StrideWidth { get; }
    /// <summary>OH = ⌊(H − KH)/SH⌋ + 1.</summary>
    public int OutputHeight { get; }
    /// <summary>OW = ⌊(W − KW)/SW⌋ + 1.</summary>
    public int OutputWidth { get; }

    /// <summary>C·H·W floats per input image.</summary>
    public int InputSize => Channels * Height * Width;
    /// <summary>C·OH·OW floats per output image.</summary>
    public int OutputSize => Channels * OutputHeight * OutputWidth;
    /// <summary>Windows that share inputs (a stride shorter than the window), so backward must add rather than store.</summary>
    public bool Overlaps => StrideHeight < KernelHeight || StrideWidth < KernelWidth;

    /// <summary>The same layer over <paramref name="batch"/> images.</summary>
    public Pool2dShape WithBatch(int batch) => new(batch, Channels, Height, Width, KernelHeight, KernelWidth, StrideHeight, StrideWidth);

    /// <summary>N×C×H×W, window, stride → N×C×OH×OW.</summary>
    public override string ToString() =>
        $"{Batch}×{Channels}×{Height}×{Width} pooled {KernelHeight}×{KernelWidth} stride {StrideHeight}×{StrideWidth} → {Batch}×{Channels}×{OutputHeight}×{OutputWidth}";

    /// <summary>Refuses <c>default(Pool2dShape)</c>, which no constructor validated.</summary>
    internal void RequireMade()
    {
        if (Batch == 0) throw new ArgumentException("a default Pool2dShape: make it with its sizes");
    }

    private static void Positive(int value, string name) => Conv2dShape.Positive(value, name);
}

/// <summary>
/// Max pooling: forward records, for backward, which input of each window won (its index within the H × W plane,
/// PyTorch's <c>return_indices</c>); backward sends each output's gradient to that input. The window is scanned row by
/// row and the first largest value wins a tie, a NaN over any number, as in PyTorch, so the gradient goes where
/// torch sends it. Planes (image, channel) are split over threads, so results do not depend on the thread count.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class MaxPool2d
{
    /// <summary>y = the maximum of each window; <paramref name="indices"/> (one per output) gets where it was. Empty indices: inference, nothing recorded.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<int> indices, in Pool2dShape shape)
    {
        shape.RequireMade();
        Pooling.Require(x.Length, (long)shape.Batch * shape.InputSize, "x"); Pooling.Require(y.Length, (long)shape.Batch * shape.OutputSize, "y");
        if (!indices.IsEmpty) Pooling.Require(indices.Length, (long)shape.Batch * shape.OutputSize, "indices");
        fixed (float* px = x, py = y)
        fixed (int* pi = indices)
            Forward(px, py, indices.IsEmpty ? null : pi, shape);
    }

    /// <summary>Pointer form of the forward; a null <paramref name="indices"/> records nothing. The caller guarantees the sizes.</summary>
    public static void Forward(float* x, float* y, int* indices, in Pool2dShape shape)
    {
        shape.RequireMade();
        var job = new ForwardJob(x, y, indices, shape);
        Pooling.Launch(ref job, shape);
    }

    /// <summary>dx = each output's gradient at the input that won its window (summed where windows overlap), 0 elsewhere.</summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, Span<float> dx, in Pool2dShape shape)
        => Backward(dy, indices, dx, dx, shape, default(Identity));

    /// <summary>
    /// dx = (each output's gradient at its window's winner) ⊙ f′(below) for an activation without parameters, with
    /// <paramref name="below"/> [N, C, H, W] the saved output of the layer below: the pool and the activation under it
    /// in one pass.
    /// </summary>
    public static void Backward<TAct>(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, ReadOnlySpan<float> below, Span<float> dx, in Pool2dShape shape)
        where TAct : struct, IFixedActivation
        => Backward(dy, indices, below, dx, shape, default(TAct));

    /// <summary>The backward with the activation below fused, f = <paramref name="activation"/> with its run-time parameter.</summary>
    public static void Backward<TAct>(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, ReadOnlySpan<float> below, Span<float> dx, in Pool2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        long outputs = (long)shape.Batch * shape.OutputSize, inputs = (long)shape.Batch * shape.InputSize;
        Pooling.Require(dy.Length, outputs, "dy"); Pooling.Require(indices.Length, outputs, "indices");
        Pooling.Require(below.Length, inputs, "y_below"); Pooling.Require(dx.Length, inputs, "dx");
        fixed (float* pdy = dy, pbelow = below, pdx = dx)
        fixed (int* pi = indices)
            Backward(pdy, pi, pbelow, pdx, shape, activation);
    }

    /// <summary>
    /// Pointer form of the backward with the activation below fused; the caller guarantees the sizes and that every
    /// index came from <see cref="Forward(float*, float*, int*, in Pool2dShape)"/> at this shape (an index outside its
    /// plane is refused, not written through).
    /// </summary>
    public static void Backward<TAct>(float* dy, int* indices, float* below, float* dx, in Pool2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        var job = new BackwardJob<TAct>(dy, indices, below, dx, shape, activation);
        Pooling.Launch(ref job, shape);
    }

    /// <summary>The vector path needs AVX2's shuffles and the caller's width at least 256 bits (a pinned narrower width runs the scalar scan).</summary>
    private readonly struct ForwardJob(float* x, float* y, int* indices, Pool2dShape s) : IParallelJob
    {
        private readonly bool vector = Avx2.IsSupported && Cpu.Current >= Isa.Vector256;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch * s.Channels, chunk, chunks);
            int plane = s.Height * s.Width, outPlane = s.OutputHeight * s.OutputWidth;
            for (int p = first; p < last; p++)
            {
                float* input = x + (nint)p * plane;
                float* output = y + (nint)p * outPlane;
                int* where = indices == null ? null : indices + (nint)p * outPlane;
                if (s.KernelHeight == 2 && s.KernelWidth == 2 && s.StrideHeight == 2 && s.StrideWidth == 2 && vector) Plane2x2Stride2(input, output, where, s);
                else if (s.KernelHeight == 2 && s.KernelWidth == 2) Plane2x2(input, output, where, s);
                else Plane(input, output, where, s);
            }
        }
    }

    /// <summary>One plane, any window: rows of the window in order, each left to right.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane(float* x, float* y, int* indices, in Pool2dShape s)
    {
        int width = s.Width;
        for (int oh = 0; oh < s.OutputHeight; oh++)
            for (int ow = 0; ow < s.OutputWidth; ow++)
            {
                int start = oh * s.StrideHeight * width + ow * s.StrideWidth, at = start;
                float best = float.NegativeInfinity;
                for (int kh = 0; kh < s.KernelHeight; kh++)
                {
                    int row = start + kh * width;
                    for (int kw = 0; kw < s.KernelWidth; kw++)
                    {
                        float v = x[row + kw];
                        if (v > best || float.IsNaN(v)) { best = v; at = row + kw; }
                    }
                }
                int o = oh * s.OutputWidth + ow;
                y[o] = best;
                if (indices != null) indices[o] = at;
            }
    }

    /// <summary>
    /// One plane with the 2 × 2 window of nearly every CNN: the same scan and the same winner as <see cref="Plane"/>,
    /// unrolled so the four compares need no loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane2x2(float* x, float* y, int* indices, in Pool2dShape s)
    {
        int width = s.Width;
        for (int oh = 0; oh < s.OutputHeight; oh++)
        {
            int top = oh * s.StrideHeight * width;
            float* o = y + (nint)oh * s.OutputWidth;
            int* where = indices == null ? null : indices + (nint)oh * s.OutputWidth;
            for (int ow = 0, at = top; ow < s.OutputWidth; ow++, at += s.StrideWidth)
            {
                int best = at;
                float v = x[at];
                if (Wins(x[at + 1], v)) { best = at + 1; v = x[best]; }
                if (Wins(x[at + width], v)) { best = at + width; v = x[best]; }
                if (Wins(x[at + width + 1], v)) { best = at + width + 1; v = x[best]; }
                o[ow] = v;
                if (where != null) where[ow] = best;
            }
        }
    }

    /// <summary>
    /// One plane with the 2 × 2 window and stride 2 of nearly every CNN, eight outputs at a time: the even and odd
    /// columns of the window's two rows are split apart by shuffles (in an order of their own, put right at the end),
    /// and the four candidates are taken in the scan's order with the same rule (larger, or NaN), so the values and
    /// indices are the scalar scan's. The last eight outputs of a row overlap the ones before (recomputed, same values);
    /// a row of four to seven outputs goes four at a time the same way, a shorter one through the scalar scan.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane2x2Stride2(float* x, float* y, int* indices, in Pool2dShape s)
    {
        int width = s.Width, outWidth = s.OutputWidth;
        if (outWidth < 4)
        {
            Plane2x2(x, y, indices, s);
            return;
        }
        // Shuffle(a, b, 0b10_00_10_00) takes lanes 0, 2 of each 128-bit half of a, then of b: outputs 0, 1, 4, 5 | 2, 3, 6, 7.
        var order = Vector256.Create(0, 2, 8, 10, 4, 6, 12, 14);
        var order4 = Vector128.Create(0, 2, 4, 6);
        for (int oh = 0; oh < s.OutputHeight; oh++)
        {
            float* top = x + (nint)2 * oh * width, bottom = top + width;
            float* o = y + (nint)oh * outWidth;
            int* where = indices == null ? null : indices + (nint)oh * outWidth;
            int rowStart = 2 * oh * width;
            if (outWidth >= 8)
                for (int ow = 0; ; ow += 8)
                {
                    if (ow > outWidth - 8) ow = outWidth - 8;
                    Eight(top + 2 * ow, bottom + 2 * ow, Vector256.Create(rowStart + 2 * ow) + order, width, o + ow, where == null ? null : where + ow);
                    if (ow == outWidth - 8) break;
                }
            else
                for (int ow = 0; ; ow += 4)
                {
                    if (ow > outWidth - 4) ow = outWidth - 4;
                    Four(top + 2 * ow, bottom + 2 * ow, Vector128.Create(rowStart + 2 * ow) + order4, width, o + ow, where == null ? null : where + ow);
                    if (ow == outWidth - 4) break;
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Eight(float* top, float* bottom, Vector256<int> index, int width, float* y, int* indices)
    {
        Vector256<float> t0 = Avx.LoadVector256(top), t1 = Avx.LoadVector256(top + 8), b0 = Avx.LoadVector256(bottom), b1 = Avx.LoadVector256(bottom + 8);
        Vector256<float> best = Avx.Shuffle(t0, t1, 0b10_00_10_00);
        Vector256<int> at = index;
        Take(ref best, ref at, Avx.Shuffle(t0, t1, 0b11_01_11_01), index + Vector256.Create(1));
        Take(ref best, ref at, Avx.Shuffle(b0, b1, 0b10_00_10_00), index + Vector256.Create(width));
        Take(ref best, ref at, Avx.Shuffle(b0, b1, 0b11_01_11_01), index + Vector256.Create(width + 1));
        // 64-bit pieces (0, 1 | 4, 5 | 2, 3 | 6, 7) back in order.
        Avx.Store(y, Avx2.Permute4x64(best.AsDouble(), 0b11_01_10_00).AsSingle());
        if (indices != null) Avx.Store(indices, Avx2.Permute4x64(at.AsInt64(), 0b11_01_10_00).AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector256<float> best, ref Vector256<int> at, Vector256<float> candidate, Vector256<int> index)
    {
        var wins = Avx.Or(Avx.Compare(candidate, best, FloatComparisonMode.OrderedGreaterThanNonSignaling), Avx.Compare(candidate, candidate, FloatComparisonMode.UnorderedNonSignaling));
        best = Avx.BlendVariable(best, candidate, wins);
        at = Avx.BlendVariable(at.AsSingle(), index.AsSingle(), wins).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four(float* top, float* bottom, Vector128<int> index, int width, float* y, int* indices)
    {
        // Within 128 bits the shuffle takes lanes 0, 2 of a then of b: already in order.
        Vector128<float> t0 = Sse.LoadVector128(top), t1 = Sse.LoadVector128(top + 4), b0 = Sse.LoadVector128(bottom), b1 = Sse.LoadVector128(bottom + 4);
        Vector128<float> best = Sse.Shuffle(t0, t1, 0b10_00_10_00);
        Vector128<int> at = index;
        Take(ref best, ref at, Sse.Shuffle(t0, t1, 0b11_01_11_01), index + Vector128.Create(1));
        Take(ref best, ref at, Sse.Shuffle(b0, b1, 0b10_00_10_00), index + Vector128.Create(width));
        Take(ref best, ref at, Sse.Shuffle(b0, b1, 0b11_01_11_01), index + Vector128.Create(width + 1));
        Sse.Store(y, best);
        if (indices != null) Sse2.Store(indices, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector128<float> best, ref Vector128<int> at, Vector128<float> candidate, Vector128<int> index)
    {
        var wins = Sse.Or(Sse.CompareGreaterThan(candidate, best), Sse.CompareUnordered(candidate, candidate));
        best = Sse41.BlendVariable(best, candidate, wins);
        at = Sse41.BlendVariable(at.AsSingle(), index.AsSingle(), wins).AsInt32();
    }

    /// <summary>
    /// One plane's backward for the 2 × 2 window with stride 2, eight (or four) outputs at a time: each of a window's four
    /// inputs takes the output's gradient where the recorded index names it and 0 elsewhere, f′ applied to the winners
    /// only (so a NaN below a loser still gives 0, as the scatter does); the two rows of eight windows are then
    /// interleaved and written whole, which replaces clearing the plane and scattering into it. An index outside its
    /// window (indices not made by the forward) sends nothing. Rows and the column no window covers are zeroed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Backward2x2Stride2<TAct>(float* dy, int* indices, float* below, float* dx, in Pool2dShape s, TAct activation)
        where TAct : struct, IActivation
    {
        int width = s.Width, outWidth = s.OutputWidth;
        var order = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        var order4 = Vector128.Create(0, 2, 4, 6);
        for (int oh = 0; oh < s.OutputHeight; oh++)
        {
            int rowStart = 2 * oh * width;
            // Four to seven windows across: four at a time, the same way.
            for (int ow = 0; outWidth < 8; ow += 4)
            {
                if (ow > outWidth - 4) ow = outWidth - 4;
                Vector128<float> g = Sse.LoadVector128(dy + oh * outWidth + ow);
                Vector128<int> at = Sse2.LoadVector128(indices + oh * outWidth + ow), first = Vector128.Create(rowStart + 2 * ow) + order4;
                nint column = rowStart + 2 * ow;
                Row(g, Vector128.Equals(at, first).AsSingle(), Vector128.Equals(at, first + Vector128.Create(1)).AsSingle(), below + column, dx + column, activation);
                Row(g, Vector128.Equals(at, first + Vector128.Create(width)).AsSingle(), Vector128.Equals(at, first + Vector128.Create(width + 1)).AsSingle(),
                    below + column + width, dx + column + width, activation);
                if (ow == outWidth - 4) break;
            }
            for (int ow = 0; outWidth >= 8; ow += 8)
            {
                if (ow > outWidth - 8) ow = outWidth - 8;
                Vector256<float> g = Avx.LoadVector256(dy + oh * outWidth + ow);
                Vector256<int> at = Avx.LoadVector256(indices + oh * outWidth + ow), first = Vector256.Create(rowStart + 2 * ow) + order;
                Vector256<float> topLeft = Vector256.Equals(at, first).AsSingle(), topRight = Vector256.Equals(at, first + Vector256.Create(1)).AsSingle();
                Vector256<float> bottomLeft = Vector256.Equals(at, first + Vector256.Create(width)).AsSingle(), bottomRight = Vector256.Equals(at, first + Vector256.Create(width + 1)).AsSingle();
                nint column = rowStart + 2 * ow;
                Row(g, topLeft, topRight, below + column, dx + column, activation);
                Row(g, bottomLeft, bottomRight, below + column + width, dx + column + width, activation);
                if (ow == outWidth - 8) break;
            }
            if (width > 2 * outWidth)
            {
                dx[rowStart + width - 1] = 0f;
                dx[rowStart + 2 * width - 1] = 0f;
            }
        }
        if (s.Height > 2 * s.OutputHeight) new Span<float>(dx + (nint)(s.Height - 1) * width, width).Clear();
    }

    /// <summary>Sixteen inputs of one row: lane pairs (left, right) of each window from the gradient and the two masks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TAct>(Vector256<float> g, Vector256<float> left, Vector256<float> right, float* below, float* dx, TAct activation)
        where TAct : struct, IActivation
    {
        // Unpack interleaves within 128-bit halves: (0, 1 | 4, 5) and (2, 3 | 6, 7); the lane permutes put them in order.
        Vector256<float> lo = Avx.UnpackLow(g, g), hi = Avx.UnpackHigh(g, g);
        Vector256<float> maskLo = Avx.UnpackLow(left, right), maskHi = Avx.UnpackHigh(left, right);
        Vector256<float> g0 = Avx.Permute2x128(lo, hi, 0x20), g1 = Avx.Permute2x128(lo, hi, 0x31);
        Vector256<float> m0 = Avx.Permute2x128(maskLo, maskHi, 0x20), m1 = Avx.Permute2x128(maskLo, maskHi, 0x31);
        Avx.Store(dx, Avx.And(m0, activation.Backward<Simd256, Vector256<float>>(g0, Avx.LoadVector256(below))));
        Avx.Store(dx + 8, Avx.And(m1, activation.Backward<Simd256, Vector256<float>>(g1, Avx.LoadVector256(below + 8))));
    }

    /// <summary>Eight inputs of one row from four windows: as the 256-bit <c>Row</c>, where unpacking already gives the order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TAct>(Vector128<float> g, Vector128<float> left, Vector128<float> right, float* below, float* dx, TAct activation)
        where TAct : struct, IActivation
    {
        Sse.Store(dx, Sse.And(Sse.UnpackLow(left, right), activation.Backward<Simd128, Vector128<float>>(Sse.UnpackLow(g, g), Sse.LoadVector128(below))));
        Sse.Store(dx + 4, Sse.And(Sse.UnpackHigh(left, right), activation.Backward<Simd128, Vector128<float>>(Sse.UnpackHigh(g, g), Sse.LoadVector128(below + 4))));
    }

    /// <summary>Does <paramref name="candidate"/> replace the window's best so far: larger, or NaN (a NaN best is replaced by nothing but a NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Wins(float candidate, float best) => candidate > best || float.IsNaN(candidate);

    private readonly struct BackwardJob<TAct>(float* dy, int* indices, float* below, float* dx, Pool2dShape s, TAct activation) : IParallelJob
        where TAct : struct, IActivation
    {
        private readonly bool vector = Avx2.IsSupported && Cpu.Current >= Isa.Vector256
            && s.KernelHeight == 2 && s.KernelWidth == 2 && s.StrideHeight == 2 && s.StrideWidth == 2 && s.OutputWidth >= 4;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch * s.Channels, chunk, chunks);
            int plane = s.Height * s.Width, outPlane = s.OutputHeight * s.OutputWidth;
            bool overlaps = s.Overlaps;
            for (int p = first; p < last; p++)
            {
                float* g = dy + (nint)p * outPlane, target = dx + (nint)p * plane, saved = below + (nint)p * plane;
                int* where = indices + (nint)p * outPlane;
                if (vector)
                {
                    Backward2x2Stride2(g, where, saved, target, s, activation);
                    continue;
                }
                new Span<float>(target, plane).Clear();
                for (int o = 0; o < outPlane; o++)
                {
                    int i = where[o];
                    if ((uint)i >= (uint)plane) throw new ArgumentException($"max-pool index {i} at output {o} of plane {p} lies outside the {s.Height}×{s.Width} plane", nameof(indices));
                    // Windows apart: each input wins at most once, so f′ goes in with the store.
                    if (!overlaps) target[i] = activation.Backward<Scalar, float>(g[o], saved[i]);
                    else target[i] += g[o];
                }
                if (overlaps && typeof(TAct) != typeof(Identity))
                    for (int i = 0; i < plane; i++) target[i] = activation.Backward<Scalar, float>(target[i], saved[i]);
            }
        }
    }
}

/// <summary>
/// Average pooling: each output the mean of its window (sum, then divided by KH·KW, as PyTorch does); backward shares
/// each output's gradient equally among its window. Planes are split over threads, so results do not depend on the
/// thread count.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class AvgPool2d
{
    /// <summary>y = the mean of each window.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, in Pool2dShape shape)
    {
        shape.RequireMade();
        Pooling.Require(x.Length, (long)shape.Batch * shape.InputSize, "x"); Pooling.Require(y.Length, (long)shape.Batch * shape.OutputSize, "y");
        fixed (float* px = x, py = y)
            Forward(px, py, shape);
    }

    /// <summary>Pointer form of the forward; the caller guarantees the sizes.</summary>
    public static void Forward(float* x, float* y, in Pool2dShape shape)
    {
        shape.RequireMade();
        var job = new ForwardJob(x, y, shape);
        Pooling.Launch(ref job, shape);
    }

    /// <summary>dx = Σ over the windows covering each input of dy/(KH·KW).</summary>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dx, in Pool2dShape shape)
        => Backward(dy, dx, dx, shape, default(Identity));

    /// <summary>dx = (Σ over the windows covering each input of dy/(KH·KW)) ⊙ f′(below), for an activation without parameters.</summary>
    public static void Backward<TAct>(ReadOnlySpan<float> dy, ReadOnlySpan<float> below, Span<float> dx, in Pool2dShape shape)
        where TAct : struct, IFixedActivation
        => Backward(dy, below, dx, shape, default(TAct));

    /// <summary>The backward with the activation below fused, f = <paramref name="activation"/> with its run-time parameter.</summary>
    public static void Backward<TAct>(ReadOnlySpan<float> dy, ReadOnlySpan<float> below, Span<float> dx, in Pool2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        long inputs = (long)shape.Batch * shape.InputSize;
        Pooling.Require(dy.Length, (long)shape.Batch * shape.OutputSize, "dy");
        Pooling.Require(below.Length, inputs, "y_below"); Pooling.Require(dx.Length, inputs, "dx");
        fixed (float* pdy = dy, pbelow = below, pdx = dx)
            Backward(pdy, pbelow, pdx, shape, activation);
    }

    /// <summary>Pointer form of the backward; the caller guarantees the sizes.</summary>
    public static void Backward<TAct>(float* dy, float* below, float* dx, in Pool2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        var job = new BackwardJob<TAct>(dy, below, dx, shape, activation);
        Pooling.Launch(ref job, shape);
    }

    private readonly struct ForwardJob(float* x, float* y, Pool2dShape s) : IParallelJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch * s.Channels, chunk, chunks);
            int plane = s.Height * s.Width, outPlane = s.OutputHeight * s.OutputWidth, width = s.Width;
            float area = s.KernelHeight * s.KernelWidth;
            for (int p = first; p < last; p++)
            {
                float* input = x + (nint)p * plane;
                float* output = y + (nint)p * outPlane;
                for (int oh = 0; oh < s.OutputHeight; oh++)
                    for (int ow = 0; ow < s.OutputWidth; ow++)
                    {
                        float* window = input + (nint)oh * s.StrideHeight * width + ow * s.StrideWidth;
                        float sum = 0f;
                        for (int kh = 0; kh < s.KernelHeight; kh++, window += width)
                            for (int kw = 0; kw < s.KernelWidth; kw++) sum += window[kw];
                        output[oh * s.OutputWidth + ow] = sum / area;
                    }
            }
        }
    }

    private readonly struct BackwardJob<TAct>(float* dy, float* below, float* dx, Pool2dShape s, TAct activation) : IParallelJob
        where TAct : struct, IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch * s.Channels, chunk, chunks);
            int plane = s.Height * s.Width, outPlane = s.OutputHeight * s.OutputWidth, width = s.Width;
            float area = s.KernelHeight * s.KernelWidth;
            for (int p = first; p < last; p++)
            {
                float* g = dy + (nint)p * outPlane, target = dx + (nint)p * plane, saved = below + (nint)p * plane;
                new Span<float>(target, plane).Clear();
                for (int oh = 0; oh < s.OutputHeight; oh++)
                    for (int ow = 0; ow < s.OutputWidth; ow++)
                    {
                        float share = g[oh * s.OutputWidth + ow] / area;
                        float* window = target + (nint)oh * s.StrideHeight * width + ow * s.StrideWidth;
                        for (int kh = 0; kh < s.KernelHeight; kh++, window += width)
                            for (int kw = 0; kw < s.KernelWidth; kw++) window[kw] += share;
                    }
                if (typeof(TAct) != typeof(Identity))
                    for (int i = 0; i < plane; i++) target[i] = activation.Backward<Scalar, float>(target[i], saved[i]);
            }
        }
    }
}

/// <summary>What the pooling kernels share: size checks and the split of planes over threads.</summary>
internal static class Pooling
{
    public static void Require(int length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"{name} holds {length} values, the shape needs {needed}", name);
    }

    /// <summary>Whole planes per chunk, as many chunks as the pass's size earns (pooling is bound by memory, not arithmetic).</summary>
    public static void Launch<TJob>(ref TJob job, in Pool2dShape s) where TJob : struct, IParallelJob
    {
        int planes = s.Batch * s.Channels;
        int chunks = Math.Min(planes, Parallelism.ChunksForElements((long)planes * s.Height * s.Width));
        if (chunks <= 1) job.Run(0, 1);
        else Parallelism.Run(ref job, chunks);
    }
}
