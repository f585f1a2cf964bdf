// 2-D convolution of NCHW images as PyTorch's Conv2d computes it (cross-correlation, zero padding, floor division), lowered onto the packed GEMM.
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Functional.Kernels;

/// <summary>
/// The sizes of one convolution layer over a batch, validated when made: N images of C channels of H × W pixels,
/// F filters of C × KH × KW weights, one stride and one zero padding for both axes (PyTorch's
/// <c>Conv2d(C, F, (KH, KW), stride, padding)</c>). The output is N × F × OH × OW with
/// OH = ⌊(H + 2P − KH)/S⌋ + 1 and OW = ⌊(W + 2P − KW)/S⌋ + 1: rows and columns the last stride step cannot reach are
/// dropped, as in PyTorch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct Conv2dShape
{
    /// <summary>Checks every size and computes the output's; throws <see cref="ArgumentException"/> naming the size that is wrong.</summary>
    public Conv2dShape(int batch, int channels, int height, int width, int filters, int kernelHeight, int kernelWidth, int stride = 1, int padding = 0)
    {
        Positive(batch, nameof(batch)); Positive(channels, nameof(channels)); Positive(height, nameof(height)); Positive(width, nameof(width));
        Positive(filters, nameof(filters)); Positive(kernelHeight, nameof(kernelHeight)); Positive(kernelWidth, nameof(kernelWidth));
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "the stride must be at least 1");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "the padding must be 0 or more");
        long paddedHeight = height + 2L * padding, paddedWidth = width + 2L * padding;
        if (kernelHeight > paddedHeight || kernelWidth > paddedWidth)
            throw new ArgumentException($"the {kernelHeight}×{kernelWidth} kernel is larger than the {height}×{width} input padded by {padding} on each side ({paddedHeight}×{paddedWidth})");
        (Batch, Channels, Height, Width, Filters, KernelHeight, KernelWidth, Stride, Padding) = (batch, channels, height, width, filters, kernelHeight, kernelWidth, stride, padding);
        OutputHeight = (int)((paddedHeight - kernelHeight) / stride + 1);
        OutputWidth = (int)((paddedWidth - kernelWidth) / stride + 1);
        // Every buffer a kernel indexes with int, including one image's im2col matrix, must fit.
        Fits((long)batch * channels * height * width, "the input");
        Fits((long)batch * filters * OutputHeight * OutputWidth, "the output");
        Fits((long)filters * channels * kernelHeight * kernelWidth, "the weights");
        Fits((long)channels * kernelHeight * kernelWidth * OutputHeight * OutputWidth, "one image's im2col matrix");
    }

    /// <summary>N, images in the batch.</summary>
    public int Batch { get; }
    /// <summary>C, input channels.</summary>
    public int Channels { get; }
    /// <summary>H, input rows.</summary>
    public int Height { get; }
    /// <summary>W, input columns.</summary>
    public int Width { get; }
    /// <summary>F, filters: the output's channels.</summary>
    public int Filters { get; }
    /// <summary>KH, kernel rows.</summary>
    public int KernelHeight { get; }
    /// <summary>KW, kernel columns.</summary>
    public int KernelWidth { get; }
    /// <summary>S, the step between windows, down and across.</summary>
    public int Stride { get; }
    /// <summary>P, zeros added on every side.</summary>
    public int Padding { get; }
    /// <summary>OH = ⌊(H + 2P − KH)/S⌋ + 1.</summary>
    public int OutputHeight { get; }
    /// <summary>OW = ⌊(W + 2P − KW)/S⌋ + 1.</summary>
    public int OutputWidth { get; }

    /// <summary>C·KH·KW: one filter's weights, and the rows of the im2col matrix.</summary>
    public int PatchSize => Channels * KernelHeight * KernelWidth;
    /// <summary>OH·OW: one output channel's pixels, and the columns of the im2col matrix.</summary>
    public int OutputPixels => OutputHeight * OutputWidth;
    /// <summary>C·H·W floats per input image.</summary>
    public int InputSize => Channels * Height * Width;
    /// <summary>F·OH·OW floats per output image.</summary>
    public int OutputSize => Filters * OutputPixels;
    /// <summary>F·C·KH·KW: the weight tensor, laid out as PyTorch's [F, C, KH, KW].</summary>
    public int WeightCount => Filters * PatchSize;
    /// <summary>Multiply-adds × 2 of the forward over the whole batch (the weight and input gradients cost the same each).</summary>
    public long ForwardFlops => 2L * Batch * Filters * OutputPixels * PatchSize;
    /// <summary>A 1×1 kernel, stride 1, no padding: the im2col matrix is the image itself, so no copy is made.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && Stride == 1 && Padding == 0;

    /// <summary>The same layer over <paramref name="batch"/> images (a batch-1 inference of a layer trained at 64).</summary>
    public Conv2dShape WithBatch(int batch) => new(batch, Channels, Height, Width, Filters, KernelHeight, KernelWidth, Stride, Padding);

    /// <summary>N×C×H×W ∗ F×C×KH×KW, stride, padding → N×F×OH×OW.</summary>
    public override string ToString() =>
        $"{Batch}×{Channels}×{Height}×{Width} ∗ {Filters}×{Channels}×{KernelHeight}×{KernelWidth} stride {Stride} padding {Padding} → {Batch}×{Filters}×{OutputHeight}×{OutputWidth}";

    /// <summary>Refuses <c>default(Conv2dShape)</c>, which no constructor validated.</summary>
    internal void RequireMade()
    {
        if (Batch == 0) throw new ArgumentException("a default Conv2dShape: make it with its sizes");
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"the {name} must be at least 1");
    }

    private static void Fits(long floats, string what)
    {
        if (floats > int.MaxValue) throw new ArgumentException($"{what} would hold {floats:N0} floats, more than an array can");
    }
}

/// <summary>
/// Convolution forward, weight and bias gradient, and input gradient over NCHW batches, through <see cref="GemmKernel"/>.
/// <para>
/// Each image is lowered by im2col: its C·KH·KW × OH·OW matrix has a row per weight of a filter (c, kh, kw) holding, for
/// every output pixel, the input pixel that weight meets there (0 in the padding). With the weights as W [F, C·KH·KW]
/// (PyTorch's [F, C, KH, KW] flattened):
/// <code>
/// forward          y_n [F, OH·OW]   = f(W · col_n + b)             A = W in place, B = col_n, bias broadcast per row
/// weight gradient  dW  [F, C·KH·KW] = Σ_n dz_n · col_nᵀ            B = col_n read transposed; images summed in order
/// bias gradient    db  [F]          = Σ_n Σ_pixels dz_n
/// input gradient   dx_n             = col2im(Wᵀ · dz_n) ⊙ f′(below) A = Wᵀ read through strides; col2im adds overlaps
/// </code>
/// This orientation puts the filters on C's rows, so y_n and dx_n come out in NCHW with no transpose, and W is read
/// where it lies. One product per image rather than one over the batch: the batch's columns would interleave images
/// in C (NCHW puts the filter between them), and an image's im2col matrix stays in L2 (313 KB for 16 channels of
/// 14 × 14 under a 5 × 5 kernel) where the batch's would not.
/// </para>
/// <para>
/// Threads (<see cref="Parallelism"/>): the forward and the input gradient split the batch, whole images per chunk;
/// the weight gradient splits dW's columns (the rows of col, so each chunk builds only its part of every image's
/// im2col matrix) and db's filters, and each chunk sums its images in order. Every output element is therefore
/// computed by one chunk with the same arithmetic for any thread count: results are bit-identical across them. The
/// im2col matrices live in per-thread scratch that grows to the largest layer and is then reused, so steady-state
/// calls allocate nothing.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class Convolution
{
    /// <summary>y = f(conv(x, W) + b) for an activation without parameters. x [N, C, H, W], W [F, C, KH, KW], b [F] (empty for none), y [N, F, OH, OW].</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, in Conv2dShape shape)
        where TAct : struct, IFixedActivation
        => Forward(x, weights, bias, y, shape, default(TAct));

    /// <summary>y = f(conv(x, W) + b), f = <paramref name="activation"/> with its run-time parameter; an empty <paramref name="bias"/> means none.</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, in Conv2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        Require(x, (long)shape.Batch * shape.InputSize, "x"); Require(weights, shape.WeightCount, "W");
        if (!bias.IsEmpty) Require(bias, shape.Filters, "b");
        Require(y, (long)shape.Batch * shape.OutputSize, "y");
        fixed (float* px = x, pw = weights, pb = bias, py = y)
            Forward(px, pw, bias.IsEmpty ? null : pb, py, shape, activation);
    }

    /// <summary>Pointer form of the forward for an activation without parameters; the caller guarantees the sizes. A null <paramref name="bias"/> means none.</summary>
    public static void Forward<TAct>(float* x, float* weights, float* bias, float* y, in Conv2dShape shape)
        where TAct : struct, IFixedActivation
        => Forward(x, weights, bias, y, shape, default(TAct));

    /// <summary>Pointer form of the forward; the caller guarantees the sizes. A null <paramref name="bias"/> means none.</summary>
    public static void Forward<TAct>(float* x, float* weights, float* bias, float* y, in Conv2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        if (bias == null) ForwardAt(x, weights, y, shape, new Activated<TAct>(activation));
        else ForwardAt(x, weights, y, shape, new RowBiasActivation<TAct>(bias, activation));
    }

    /// <summary>
    /// dW = Σ_n dz_n · col_nᵀ and db = Σ dz over images and pixels, both overwritten; dz [N, F, OH, OW] is the gradient
    /// at the pre-activation (the activation's derivative already applied). An empty <paramref name="dBias"/> skips db.
    /// </summary>
    public static void WeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dz, Span<float> dWeights, Span<float> dBias, in Conv2dShape shape)
    {
        shape.RequireMade();
        Require(x, (long)shape.Batch * shape.InputSize, "x"); Require(dz, (long)shape.Batch * shape.OutputSize, "dz");
        Require(dWeights, shape.WeightCount, "dW");
        if (!dBias.IsEmpty) Require(dBias, shape.Filters, "db");
        fixed (float* px = x, pdz = dz, pdw = dWeights, pdb = dBias)
            WeightGradient(px, pdz, pdw, dBias.IsEmpty ? null : pdb, shape);
    }

    /// <summary>Pointer form of the weight and bias gradient; the caller guarantees the sizes. A null <paramref name="dBias"/> skips db.</summary>
    public static void WeightGradient(float* x, float* dz, float* dWeights, float* dBias, in Conv2dShape shape)
    {
        shape.RequireMade();
        switch (Cpu.Current)
        {
            case Isa.Vector512: WeightGradient<Simd512, Vector512<float>>(x, dz, dWeights, dBias, shape); break;
            case Isa.Vector256: WeightGradient<Simd256, Vector256<float>>(x, dz, dWeights, dBias, shape); break;
            case Isa.Vector128: WeightGradient<Simd128, Vector128<float>>(x, dz, dWeights, dBias, shape); break;
            default: WeightGradient<Scalar, float>(x, dz, dWeights, dBias, shape); break;
        }
    }

    /// <summary>dx = col2im(Wᵀ · dz) for a layer with nothing to differentiate below it but the identity.</summary>
    public static void InputGradient(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dx, in Conv2dShape shape)
    {
        shape.RequireMade();
        Require(dz, (long)shape.Batch * shape.OutputSize, "dz"); Require(weights, shape.WeightCount, "W");
        Require(dx, (long)shape.Batch * shape.InputSize, "dx");
        // Identity never reads the saved output: dx stands in for it.
        fixed (float* pdz = dz, pw = weights, pdx = dx)
            InputGradient(pdz, pw, pdx, pdx, shape, default(Identity));
    }

    /// <summary>
    /// dx = col2im(Wᵀ · dz) ⊙ f′(below) for an activation without parameters, with <paramref name="below"/> [N, C, H, W]
    /// the saved output of the layer below (its activation's derivative is applied here, after overlapping windows are added).
    /// </summary>
    public static void InputGradient<TAct>(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, ReadOnlySpan<float> below, Span<float> dx, in Conv2dShape shape)
        where TAct : struct, IFixedActivation
        => InputGradient(dz, weights, below, dx, shape, default(TAct));

    /// <summary>dx = col2im(Wᵀ · dz) ⊙ f′(below), f = <paramref name="activation"/> with its run-time parameter.</summary>
    public static void InputGradient<TAct>(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, ReadOnlySpan<float> below, Span<float> dx, in Conv2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        Require(dz, (long)shape.Batch * shape.OutputSize, "dz"); Require(weights, shape.WeightCount, "W");
        Require(below, (long)shape.Batch * shape.InputSize, "y_below"); Require(dx, (long)shape.Batch * shape.InputSize, "dx");
        fixed (float* pdz = dz, pw = weights, pbelow = below, pdx = dx)
            InputGradient(pdz, pw, pbelow, pdx, shape, activation);
    }

    /// <summary>Pointer form of the input gradient for an activation without parameters; the caller guarantees the sizes.</summary>
    public static void InputGradient<TAct>(float* dz, float* weights, float* below, float* dx, in Conv2dShape shape)
        where TAct : struct, IFixedActivation
        => InputGradient(dz, weights, below, dx, shape, default(TAct));

    /// <summary>Pointer form of the input gradient; the caller guarantees the sizes.</summary>
    public static void InputGradient<TAct>(float* dz, float* weights, float* below, float* dx, in Conv2dShape shape, TAct activation)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        switch (Cpu.Current)
        {
            case Isa.Vector512: InputGradient<Simd512, Vector512<float>, TAct>(dz, weights, below, dx, shape, activation); break;
            case Isa.Vector256: InputGradient<Simd256, Vector256<float>, TAct>(dz, weights, below, dx, shape, activation); break;
            case Isa.Vector128: InputGradient<Simd128, Vector128<float>, TAct>(dz, weights, below, dx, shape, activation); break;
            default: InputGradient<Scalar, float, TAct>(dz, weights, below, dx, shape, activation); break;
        }
    }

    /// <summary>The width is chosen here, on the calling thread: <see cref="Cpu.Pin"/> is per thread, and the workers must run the caller's width.</summary>
    private static void ForwardAt<TE>(float* x, float* weights, float* y, in Conv2dShape shape, TE epilogue) where TE : struct, IEpilogue
    {
        switch (Cpu.Current)
        {
            case Isa.Vector512: Forward<Simd512, Vector512<float>, TE>(x, weights, y, shape, epilogue); break;
            case Isa.Vector256: Forward<Simd256, Vector256<float>, TE>(x, weights, y, shape, epilogue); break;
            case Isa.Vector128: Forward<Simd128, Vector128<float>, TE>(x, weights, y, shape, epilogue); break;
            default: Forward<Scalar, float, TE>(x, weights, y, shape, epilogue); break;
        }
    }

    private static void Forward<TS, TV, TE>(float* x, float* weights, float* y, in Conv2dShape shape, TE epilogue)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        var job = new ForwardJob<TS, TV, TE>(x, weights, y, shape, epilogue);
        Launch(ref job, Parallelism.ChunksFor(shape.ForwardFlops, shape.Batch));
    }

    /// <summary>One chunk of images: im2col of each into this thread's scratch, then y_n = epilogue(W · col_n).</summary>
    private readonly struct ForwardJob<TS, TV, TE>(float* x, float* weights, float* y, Conv2dShape s, TE epilogue) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch, chunk, chunks);
            int patch = s.PatchSize, pixels = s.OutputPixels;
            float* col = s.IsPointwise ? null : Scratch.Columns((nint)patch * pixels);
            for (int n = first; n < last; n++)
            {
                float* image = x + (nint)n * s.InputSize;
                float* b = image;
                if (!s.IsPointwise)
                {
                    Im2Col<TS, TV>(image, s, col, 0, patch);
                    b = col;
                }
                var p = new GemmKernel.Operands(weights, patch, 1, b, pixels, y + (nint)n * s.OutputSize, pixels, s.Filters, patch, pixels);
                GemmKernel.Run<TS, TV, TE>(p, epilogue);
            }
        }
    }

    private static void WeightGradient<TS, TV>(float* x, float* dz, float* dWeights, float* dBias, in Conv2dShape shape)
        where TS : ISimd<TV> where TV : struct
    {
        // Chunks own panels of dW's columns. With one output pixel B is a single row, which the product may take on a
        // path whose last columns depend on where a chunk ends; the product then splits itself instead.
        int panel = 2 * TS.Count, units = (shape.PatchSize + panel - 1) / panel;
        int chunks = shape.OutputPixels == 1 ? 1 : Parallelism.ChunksFor(shape.ForwardFlops, units);
        var job = new WeightGradientJob<TS, TV>(x, dz, dWeights, dBias, shape, units, panel);
        Launch(ref job, chunks);
    }

    /// <summary>
    /// One chunk: columns [j0, j1) of dW (rows j0 … j1 − 1 of every image's im2col matrix) and a share of db's filters,
    /// each summed over the images in order: the first image's product is stored, the others' added in the store.
    /// </summary>
    private readonly struct WeightGradientJob<TS, TV>(float* x, float* dz, float* dWeights, float* dBias, Conv2dShape s, int units, int panel) : IParallelJob
        where TS : ISimd<TV> where TV : struct
    {
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(units, chunk, chunks);
            var (f0, f1) = Parallelism.Range(s.Filters, chunk, chunks);
            int patch = s.PatchSize, pixels = s.OutputPixels;
            int j0 = first * panel, j1 = Math.Min(last * panel, patch);
            float* col = j0 >= j1 || s.IsPointwise ? null : Scratch.Columns((nint)(j1 - j0) * pixels);
            float* c = dWeights + j0;
            for (int n = 0; n < s.Batch; n++)
            {
                float* g = dz + (nint)n * s.OutputSize;
                if (j0 < j1)
                {
                    float* image = x + (nint)n * s.InputSize;
                    float* b;
                    if (s.IsPointwise) b = image + (nint)j0 * pixels;
                    else
                    {
                        Im2Col<TS, TV>(image, s, col, j0, j1);
                        b = col;
                    }
                    // B[k = pixel, j = patch row] = col[j·pixels + k]: col read transposed, which the packing transposes.
                    var p = new GemmKernel.Operands(g, pixels, 1, b, 1, c, patch, s.Filters, pixels, j1 - j0, bCol: pixels);
                    if (n == 0) GemmKernel.Run<TS, TV, Plain>(p, default);
                    else GemmKernel.Run<TS, TV, Accumulate>(p, new Accumulate(c, patch));
                }
                if (dBias != null)
                    for (int f = f0; f < f1; f++)
                    {
                        float sum = Sum<TS, TV>(g + (nint)f * pixels, pixels);
                        dBias[f] = n == 0 ? sum : dBias[f] + sum;
                    }
            }
        }
    }

    private static void InputGradient<TS, TV, TAct>(float* dz, float* weights, float* below, float* dx, in Conv2dShape shape, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        var job = new InputGradientJob<TS, TV, TAct>(dz, weights, below, dx, shape, activation);
        Launch(ref job, Parallelism.ChunksFor(shape.ForwardFlops, shape.Batch));
    }

    /// <summary>
    /// One chunk of images: dcol = Wᵀ · dz_n into scratch, then col2im adds each window's share into dx_n and f′ is
    /// applied once every share is in. A pointwise layer has dcol = dx_n, so its product stores dx_n with f′ fused.
    /// </summary>
    private readonly struct InputGradientJob<TS, TV, TAct>(float* dz, float* weights, float* below, float* dx, Conv2dShape s, TAct activation) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch, chunk, chunks);
            int patch = s.PatchSize, pixels = s.OutputPixels;
            float* dcol = s.IsPointwise ? null : Scratch.Columns((nint)patch * pixels);
            for (int n = first; n < last; n++)
            {
                float* g = dz + (nint)n * s.OutputSize;
                float* image = dx + (nint)n * s.InputSize, saved = below + (nint)n * s.InputSize;
                // A(m = patch row, k = filter) = W[k·patch + m]: Wᵀ read through its strides.
                if (s.IsPointwise)
                {
                    var direct = new GemmKernel.Operands(weights, 1, patch, g, pixels, image, pixels, patch, s.Filters, pixels);
                    GemmKernel.Run<TS, TV, ActivationGradient<TAct>>(direct, new ActivationGradient<TAct>(saved, pixels, activation));
                    continue;
                }
                var p = new GemmKernel.Operands(weights, 1, patch, g, pixels, dcol, pixels, patch, s.Filters, pixels);
                GemmKernel.Run<TS, TV, Plain>(p, default);
                Col2Im<TS, TV>(dcol, s, image);
                if (typeof(TAct) != typeof(Identity)) ApplyDerivative<TS, TV, TAct>(image, saved, s.InputSize, activation);
            }
        }
    }

    /// <summary>Runs a job inline (where a product inside may still split itself over the pool) or over the pool.</summary>
    private static void Launch<TJob>(ref TJob job, int chunks) where TJob : struct, IParallelJob
    {
        if (chunks <= 1) job.Run(0, 1);
        else Parallelism.Run(ref job, chunks);
    }

    /// <summary>
    /// Rows [first, last) of one image's im2col matrix into <paramref name="col"/>, row after row of OH·OW floats: row
    /// (c, kh, kw) holds x[c, oh·S − P + kh, ow·S − P + kw] at column oh·OW + ow, and 0 where that falls in the padding.
    /// </summary>
    internal static void Im2Col<TS, TV>(float* x, in Conv2dShape s, float* col, int first, int last)
        where TS : ISimd<TV> where TV : struct
    {
        int height = s.Height, width = s.Width, outHeight = s.OutputHeight, outWidth = s.OutputWidth, stride = s.Stride;
        int kernelArea = s.KernelHeight * s.KernelWidth;
        for (int r = first; r < last; r++, col += (nint)outHeight * outWidth)
        {
            int c = r / kernelArea, kh = r % kernelArea / s.KernelWidth, kw = r % s.KernelWidth;
            int shift = kw - s.Padding;
            var (lo, hi) = Inside(shift, stride, width, outWidth);
            float* plane = x + (nint)c * height * width;
            for (int oh = 0; oh < outHeight; oh++)
            {
                float* target = col + (nint)oh * outWidth;
                int h = oh * stride - s.Padding + kh;
                if ((uint)h >= (uint)height)
                {
                    new Span<float>(target, outWidth).Clear();
                    continue;
                }
                float* source = plane + (nint)h * width + shift;
                for (int ow = 0; ow < lo; ow++) target[ow] = 0f;
                if (stride == 1) Copy<TS, TV>(source + lo, target + lo, hi - lo);
                else for (int ow = lo; ow < hi; ow++) target[ow] = source[(nint)ow * stride];
                for (int ow = Math.Max(hi, lo); ow < outWidth; ow++) target[ow] = 0f;
            }
        }
    }

    /// <summary>
    /// dx[c, h, w] = Σ over the windows that cover it of dcol[(c, kh, kw), (oh, ow)]: dx zeroed, then each row of dcol
    /// added where im2col took it from. Each element takes its shares in row order, at every width.
    /// </summary>
    internal static void Col2Im<TS, TV>(float* dcol, in Conv2dShape s, float* dx)
        where TS : ISimd<TV> where TV : struct
    {
        int height = s.Height, width = s.Width, outHeight = s.OutputHeight, outWidth = s.OutputWidth, stride = s.Stride;
        int kernelArea = s.KernelHeight * s.KernelWidth;
        new Span<float>(dx, s.InputSize).Clear();
        for (int r = 0; r < s.PatchSize; r++, dcol += (nint)outHeight * outWidth)
        {
            int c = r / kernelArea, kh = r % kernelArea / s.KernelWidth, kw = r % s.KernelWidth;
            int shift = kw - s.Padding;
            var (lo, hi) = Inside(shift, stride, width, outWidth);
            if (lo >= hi) continue;
            float* plane = dx + (nint)c * height * width;
            for (int oh = 0; oh < outHeight; oh++)
            {
                int h = oh * stride - s.Padding + kh;
                if ((uint)h >= (uint)height) continue;
                float* source = dcol + (nint)oh * outWidth;
                float* target = plane + (nint)h * width + shift;
                if (stride == 1) AddTo<TS, TV>(source + lo, target + lo, hi - lo);
                else for (int ow = lo; ow < hi; ow++) target[(nint)ow * stride] += source[ow];
            }
        }
    }

    /// <summary>The output columns [lo, hi) whose input column ow·S + shift lies inside [0, width).</summary>
    private static (int Lo, int Hi) Inside(int shift, int stride, int width, int outWidth)
    {
        int lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = width - 1 - shift; // the largest ow·S allowed
        int hi = last < 0 ? 0 : Math.Min(outWidth, last / stride + 1);
        return (Math.Min(lo, outWidth), hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<TS, TV>(float* source, float* target, int count) where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, i = 0;
        for (; i + w <= count; i += w) TS.Store(target + i, TS.Load(source + i));
        for (; i < count; i++) target[i] = source[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TS, TV>(float* source, float* target, int count) where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, i = 0;
        for (; i + w <= count; i += w) TS.Store(target + i, TS.Add(TS.Load(target + i), TS.Load(source + i)));
        for (; i < count; i++) target[i] += source[i];
    }

    /// <summary>dx ← f′ applied to dx from the saved outputs, over <paramref name="count"/> floats.</summary>
    private static void ApplyDerivative<TS, TV, TAct>(float* dx, float* below, int count, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        int w = TS.Count, i = 0;
        for (; i + w <= count; i += w) TS.Store(dx + i, activation.Backward<TS, TV>(TS.Load(dx + i), TS.Load(below + i)));
        for (; i < count; i++) dx[i] = activation.Backward<Scalar, float>(dx[i], below[i]);
    }

    /// <summary>Σ of <paramref name="count"/> floats: four vector accumulators, added in a fixed order, then the tail.</summary>
    private static float Sum<TS, TV>(float* p, int count) where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, i = 0;
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
        for (; i + 4 * w <= count; i += 4 * w)
        {
            s0 = TS.Add(s0, TS.Load(p + i)); s1 = TS.Add(s1, TS.Load(p + i + w));
            s2 = TS.Add(s2, TS.Load(p + i + 2 * w)); s3 = TS.Add(s3, TS.Load(p + i + 3 * w));
        }
        for (; i + w <= count; i += w) s0 = TS.Add(s0, TS.Load(p + i));
        float* lanes = stackalloc float[16];
        TS.Store(lanes, TS.Add(TS.Add(s0, s1), TS.Add(s2, s3)));
        float sum = 0f;
        for (int lane = 0; lane < w; lane++) sum += lanes[lane];
        for (; i < count; i++) sum += p[i];
        return sum;
    }

    /// <summary>Refuses a buffer too small for the shape, before any pointer is formed.</summary>
    private static void Require(ReadOnlySpan<float> span, long needed, string name)
    {
        if (span.Length < needed) throw new ArgumentException($"{name} holds {span.Length} floats, the shape needs {needed}", name);
    }

    /// <summary>Per-thread im2col scratch on the pinned heap, 64-byte aligned, grown to the largest layer seen and then reused.</summary>
    private static class Scratch
    {
        [ThreadStatic] private static float[]? columns;

        public static float* Columns(nint floats)
        {
            if (columns is null || columns.Length < floats + 16) columns = GC.AllocateUninitializedArray<float>((int)floats + 16, pinned: true);
            float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(columns));
            return (float*)(((nint)start + 63) & ~(nint)63);
        }
    }
}
