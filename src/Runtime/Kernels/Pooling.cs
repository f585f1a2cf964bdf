// Max and average pooling of NCHW images as PyTorch's max_pool2d and avg_pool2d compute them (no padding, floor mode).
using System.ComponentModel;
using System.Runtime.CompilerServices;

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

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"the {name} must be at least 1");
    }
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

    private readonly struct ForwardJob(float* x, float* y, int* indices, Pool2dShape s) : IParallelJob
    {
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
                if (s.KernelHeight == 2 && s.KernelWidth == 2) Plane2x2(input, output, where, s);
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

    /// <summary>Does <paramref name="candidate"/> replace the window's best so far: larger, or NaN (a NaN best is replaced by nothing but a NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Wins(float candidate, float best) => candidate > best || float.IsNaN(candidate);

    private readonly struct BackwardJob<TAct>(float* dy, int* indices, float* below, float* dx, Pool2dShape s, TAct activation) : IParallelJob
        where TAct : struct, IActivation
    {
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
