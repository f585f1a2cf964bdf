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
    /// <summary>H + 2P: rows of the zero-padded image that im2col reads.</summary>
    internal int PaddedHeight => Height + 2 * Padding;
    /// <summary>W + 2P: columns of the zero-padded image.</summary>
    internal int PaddedWidth => Width + 2 * Padding;
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

    /// <summary>Refuses a size below 1, naming it (also for <see cref="Pool2dShape"/>).</summary>
    internal static void Positive(int value, string name)
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
/// every output pixel, the input pixel that weight meets there (0 in the padding), copied from a zero-padded copy of
/// the image so that each output row is one run. With the weights as W [F, C·KH·KW] (PyTorch's [F, C, KH, KW]
/// flattened), one product per image:
/// <code>
/// forward          y_n  = f(W · col_n + b)      filters as C's rows: W read in place, col_n packed, bias broadcast per row
///               or y_nᵀ = f(col_nᵀ · Wᵀ + b)    pixels as C's rows: col_n read from the image (implicit), W packed once; y_nᵀ transposed
/// weight gradient  dWᵀ  = Σ_n col_n · dz_nᵀ      col_n read from the image (implicit), dz_n packed; images summed in C; dW = (dWᵀ)ᵀ
///               or dW   = Σ_n dz_n · col_nᵀ      dz_n read in place, col_nᵀ written straight into packed panels; images in fixed groups
/// bias gradient    db   = Σ_n Σ_pixels dz_n
/// input gradient   dx_n = col2im(Wᵀ · dz_n) ⊙ f′(below)   Wᵀ read through strides; col2im adds overlapping windows
/// </code>
/// Every orientation keeps the large operand (the im2col matrix) out of the packing where it can (and, read implicitly
/// through <see cref="ImageRows"/>, out of memory altogether), and writes NCHW with at most a transpose of one image's output. The forward and the weight gradient choose by shape (<see cref="ForwardLowering"/>,
/// <see cref="WeightGradientLayout"/>, measured). One
/// product per image rather than one over the batch: the batch's columns would interleave images in C (NCHW puts the
/// channel between them), and an image's im2col matrix stays in L2 (313 KB for 16 channels of 14 × 14 under a 5 × 5
/// kernel) where the batch's would not.
/// </para>
/// <para>
/// Threads (<see cref="Parallelism"/>): the forward and the input gradient split the batch, whole images per chunk;
/// the weight gradient with patch rows splits dWᵀ's rows (the rows of col, so each chunk builds only its part of every
/// image's im2col matrix, from only the channels it reads) and db's filters, and each chunk sums its images in order;
/// with filter rows it splits fixed groups of images, whose sums are then added in group order. Every
/// output element is therefore computed by one chunk with the same arithmetic for any thread count: results are
/// bit-identical across them. Scratch (im2col matrices, padded images, dWᵀ) is per thread, grows to the largest layer
/// and is then reused, so steady-state calls allocate nothing.
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
        Forward(x, weights, bias, y, shape, activation, ForwardLowering(shape, PanelFloats(Cpu.Current)));
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
        WeightGradient(x, dz, dWeights, dBias, shape, rows: null);
    }

    /// <summary>
    /// The training step's weight gradient: g = dW + λ·W for weights W [F, C, KH, KW] (λ = <paramref name="l2"/>, the
    /// gradient of ½λ‖W‖²; 0 for none), and db as <see cref="WeightGradient(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, in Conv2dShape)"/>
    /// writes it (an empty <paramref name="dBias"/> skips it; its update is the caller's). With an inactive
    /// <paramref name="update"/>, g is written to <paramref name="dWeights"/>. With an active one (bound to W itself),
    /// each filter's row of g, as the transposition out of the product writes it and while it is in L1, takes λW and
    /// then the optimizer's step through the bound rule, as <see cref="Gemm"/>'s row split does
    /// (<see cref="Optimizers.FusedRows"/>): W and the optimizer's state end bit for bit as if g had been written and
    /// <see cref="Optimizers.FusedUpdate.Apply"/> then run; <paramref name="dWeights"/> is left holding the updates.
    /// </summary>
    public static void WeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dWeights, Span<float> dBias,
        in Conv2dShape shape, float l2, Optimizers.FusedUpdate update)
    {
        shape.RequireMade();
        Require(x, (long)shape.Batch * shape.InputSize, "x"); Require(dz, (long)shape.Batch * shape.OutputSize, "dz");
        Require(weights, shape.WeightCount, "W"); Require(dWeights, shape.WeightCount, "dW");
        if (!dBias.IsEmpty) Require(dBias, shape.Filters, "db");
        if (update.IsActive && (update.Parameters.Length != shape.WeightCount
            || !Unsafe.AreSame(ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(update.Parameters))))
            throw new ArgumentException($"the update must be bound to this layer's W ({shape.WeightCount} floats), got a view of {update.Parameters.Length}", nameof(update));
        fixed (float* px = x, pdz = dz, pw = weights, pdw = dWeights, pdb = dBias)
            WeightGradient(px, pdz, pdw, dBias.IsEmpty ? null : pdb, shape,
                update.IsActive ? new Optimizers.FusedRows(update.Rule!, update.Offset, pdw, pw, shape.PatchSize, l2) : null);
        // No update to apply: λW in a pass of its own, as Gemm's unfused weight gradient adds it.
        if (!update.IsActive && l2 != 0f)
        {
            var w = weights.Slice(0, shape.WeightCount);
            var g = dWeights.Slice(0, shape.WeightCount);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w, l2, g, g);
        }
    }

    /// <summary>
    /// dW and db at the width <see cref="Cpu.Current"/> selects, in <paramref name="orientation"/> (null: as
    /// <see cref="WeightGradientLayout"/> chooses for that width); each finished row of dW is handed to
    /// <paramref name="rows"/> when there is one.
    /// </summary>
    private static void WeightGradient(float* x, float* dz, float* dWeights, float* dBias, in Conv2dShape shape, Optimizers.FusedRows? rows,
        WeightGradientOrientation? orientation = null)
    {
        switch (Cpu.Current)
        {
            case Isa.Vector512: WeightGradient<Simd512, Vector512<float>>(x, dz, dWeights, dBias, shape, rows, orientation); break;
            case Isa.Vector256: WeightGradient<Simd256, Vector256<float>>(x, dz, dWeights, dBias, shape, rows, orientation); break;
            case Isa.Vector128: WeightGradient<Simd128, Vector128<float>>(x, dz, dWeights, dBias, shape, rows, orientation); break;
            default: WeightGradient<Scalar, float>(x, dz, dWeights, dBias, shape, rows, orientation); break;
        }
    }

    /// <summary>The weight and bias gradient in a chosen <paramref name="orientation"/>, for the benchmarks and tests that compare them.</summary>
    internal static void WeightGradient(float* x, float* dz, float* dWeights, float* dBias, in Conv2dShape shape, WeightGradientOrientation orientation)
    {
        shape.RequireMade();
        WeightGradient(x, dz, dWeights, dBias, shape, rows: null, orientation);
    }

    /// <summary>Which operand of the weight gradient's product the filters are: C's columns or its rows.</summary>
    internal enum WeightGradientOrientation
    {
        /// <summary>
        /// dWᵀ [C·KH·KW, F] = Σ_n col_n · dz_nᵀ: each image's im2col matrix written and read in place as A, dz_n packed
        /// transposed as B, dWᵀ transposed at the end. Split over threads by rows of dWᵀ.
        /// </summary>
        PatchRows,
        /// <summary>
        /// dW [F, C·KH·KW] = Σ_n dz_n · col_nᵀ: dz_n read in place as A, col_nᵀ written by im2col straight into the
        /// product's packed panels (no im2col matrix, no separate packing). Images are summed in fixed groups
        /// (<see cref="WeightGradientGroups"/>), the groups then added in order; split over threads by groups.
        /// </summary>
        FilterRows,
        /// <summary>
        /// Patch rows without the im2col matrix: the micro-kernel reads A((c, kh, kw), pixel) from the padded image at
        /// the weight's offset plus the pixel's window corner (<see cref="ImageRows"/>, its tables swapped); dz_n packed
        /// per k block. The same k blocks and FMA chains as <see cref="PatchRows"/>, so the same bits (but over at most
        /// four output pixels, where that product streams).
        /// </summary>
        ImplicitPatchRows,
    }

    /// <summary>
    /// The orientation the public weight gradient uses at a panel width of <paramref name="panel"/> floats (2 vectors):
    /// filters as rows when that costs the micro-kernel fewer FMAs per output pixel, counting each tile of rows as the
    /// kernel runs it (12 FMAs for up to six rows, 8 for up to four) over whole panels of columns. Small patches with few
    /// filters fill a panel of patch columns better than a panel of filters (the reference CNN's first layer at
    /// Vector512: 32 against 56); large patches (its second layer, 400 weights per filter and 32 filters: 78 against
    /// 67) keep patch rows, read from the image without an im2col matrix (<see cref="WeightGradientOrientation.ImplicitPatchRows"/>:
    /// ×0.80–0.96 of the written matrix's time on all seven shapes measured, ×0.83 on that second layer). A pointwise
    /// layer keeps patch rows, which read the image in place. Measured with the `conv` benchmark's interleaved
    /// comparison (docs/performance.md).
    /// </summary>
    internal static WeightGradientOrientation WeightGradientLayout(in Conv2dShape s, int panel)
    {
        if (s.IsPointwise) return WeightGradientOrientation.PatchRows;
        long filterRows = TileFmas(s.Filters) * (long)((s.PatchSize + panel - 1) / panel);
        long patchRows = TileFmas(s.PatchSize) * (long)((s.Filters + panel - 1) / panel);
        return filterRows < patchRows ? WeightGradientOrientation.FilterRows : WeightGradientOrientation.ImplicitPatchRows;

        // FMAs per k for one panel down M rows: six-row tiles, and a last tile of four or fewer at two thirds of the cost.
        static long TileFmas(int m) => 12L * (m / GemmKernel.Rows) + (m % GemmKernel.Rows == 0 ? 0 : m % GemmKernel.Rows <= 4 ? 8 : 12);
    }

    /// <summary>
    /// The most groups the filters-as-rows weight gradient sums a batch's images in: min(N, 8), each group a run of
    /// consecutive images summed in its own buffer, the groups' buffers then added in order. Fixed by N, never by the
    /// threads, so every element's summation order is the same on any number of them; eight is as many chunks as
    /// two threads take (<see cref="Parallelism"/>'s four per thread), and the groups' sums cost one add per weight each.
    /// </summary>
    internal const int WeightGradientGroups = 8;

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
    private static void ForwardAt<TE>(float* x, float* weights, float* y, in Conv2dShape shape, TE epilogue, Lowering lowering) where TE : struct, IEpilogue
    {
        switch (Cpu.Current)
        {
            case Isa.Vector512: Forward<Simd512, Vector512<float>, TE>(x, weights, y, shape, epilogue, lowering); break;
            case Isa.Vector256: Forward<Simd256, Vector256<float>, TE>(x, weights, y, shape, epilogue, lowering); break;
            case Isa.Vector128: Forward<Simd128, Vector128<float>, TE>(x, weights, y, shape, epilogue, lowering); break;
            default: Forward<Scalar, float, TE>(x, weights, y, shape, epilogue, lowering); break;
        }
    }

    /// <summary>How the forward lowers an image onto the product; <see cref="Forward{TAct}(float*, float*, float*, float*, in Conv2dShape, TAct)"/> takes <see cref="ForwardLowering"/>'s choice.</summary>
    internal enum Lowering
    {
        /// <summary>Write the image's im2col matrix, then run the product, which packs it into panels.</summary>
        Im2Col,
        /// <summary>Pack the product's panels straight from the padded image: no im2col matrix.</summary>
        Implicit,
        /// <summary>
        /// Write the im2col matrix, then y_nᵀ [pixels, F] = col_nᵀ · Wᵀ with col_n read in place (A through strides)
        /// and only W packed; y_nᵀ is transposed into y_n. The large matrix is never packed, and M is the pixels.
        /// </summary>
        PixelRows,
        /// <summary>
        /// Pixels as rows without the im2col matrix: the micro-kernel reads A(pixel, (c, kh, kw)) from the padded image
        /// at the pixel's window corner plus the weight's offset (<see cref="ImageRows"/>); Wᵀ is packed once per call.
        /// </summary>
        ImplicitPixelRows,
    }

    /// <summary>
    /// The lowering the public forward uses for <paramref name="s"/> at a panel width of <paramref name="panel"/>
    /// floats: pixels as rows, read straight from the image (<see cref="Lowering.ImplicitPixelRows"/>), when packing W
    /// and transposing the output copy fewer than half the floats that packing the im2col matrix would,
    /// F·(C·KH·KW + OH·OW) &lt; ½·C·KH·KW·OH·OW, and the filters fill whole panels (a ragged panel makes every tile an
    /// edge tile); else im2col with the filters as rows. Fitted to interleaved one-thread timings (Functional.Benchmarks
    /// `conv`, docs/performance.md): at Vector512 implicit pixel rows took ×0.53 of im2col's time on the reference CNN's
    /// second layer (×0.78 of pixel rows through an im2col matrix) and ×0.66 on its batch-1 inference, but ×11 on its
    /// first (16 filters, half a panel) and ×1.9 on 16×14×14 → 16; the rule still misses two wins (1×28×28 → 32 at
    /// ×0.53, 32×7×7 → 64 at ×0.39), and 3×32×32 → 32 lost (×2.1) though the filters fill the panel.
    /// </summary>
    internal static Lowering ForwardLowering(in Conv2dShape s, int panel)
        => s.IsPointwise ? Lowering.Im2Col
        : 2L * s.Filters * (s.PatchSize + s.OutputPixels) < (long)s.PatchSize * s.OutputPixels && s.Filters % panel == 0 ? Lowering.ImplicitPixelRows
        : Lowering.Im2Col;

    /// <summary>Floats in the product's panel (two vectors) at <paramref name="isa"/>.</summary>
    internal static int PanelFloats(Isa isa) => isa switch { Isa.Vector512 => 32, Isa.Vector256 => 16, Isa.Vector128 => 8, _ => 2 };

    /// <summary>The forward with a chosen <paramref name="lowering"/>, for the benchmarks and tests that compare them.</summary>
    internal static void Forward<TAct>(float* x, float* weights, float* bias, float* y, in Conv2dShape shape, TAct activation, Lowering lowering)
        where TAct : struct, IActivation
    {
        shape.RequireMade();
        if (bias == null) ForwardAt(x, weights, y, shape, new Activated<TAct>(activation), lowering);
        else if (lowering is Lowering.PixelRows or Lowering.ImplicitPixelRows) ForwardAt(x, weights, y, shape, new BiasActivation<TAct>(bias, activation), lowering);
        else ForwardAt(x, weights, y, shape, new RowBiasActivation<TAct>(bias, activation), lowering);
    }

    private static void Forward<TS, TV, TE>(float* x, float* weights, float* y, in Conv2dShape shape, TE epilogue, Lowering lowering)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        int chunks = Parallelism.ChunksFor(shape.ForwardFlops, shape.Batch);
        // A pointwise layer's im2col matrix is the image itself: nothing to lower either way.
        if (lowering == Lowering.Implicit && !shape.IsPointwise)
        {
            var job = new ImplicitForwardJob<TS, TV, TE>(x, weights, y, shape, epilogue);
            Launch(ref job, chunks);
        }
        else if (lowering == Lowering.PixelRows)
        {
            var job = new PixelRowsForwardJob<TS, TV, TE>(x, weights, y, shape, epilogue);
            Launch(ref job, chunks);
        }
        else if (lowering == Lowering.ImplicitPixelRows)
        {
            var job = new ImplicitPixelRowsForwardJob<TS, TV, TE>(x, weights, y, shape, epilogue);
            Launch(ref job, chunks);
        }
        else
        {
            var job = new ForwardJob<TS, TV, TE>(x, weights, y, shape, epilogue);
            Launch(ref job, chunks);
        }
    }

    /// <summary>
    /// One chunk of images with the pixels as the product's rows: yᵀ_n = epilogue(col_nᵀ · Wᵀ) into scratch, then
    /// transposed into y_n. The filters are C's columns here, so the epilogue is the dense layer's
    /// <see cref="BiasActivation{TAct}"/> (bias loaded along the row), not <see cref="RowBiasActivation{TAct}"/>.
    /// </summary>
    private readonly struct PixelRowsForwardJob<TS, TV, TE>(float* x, float* weights, float* y, Conv2dShape s, TE epilogue) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch, chunk, chunks);
            int patch = s.PatchSize, pixels = s.OutputPixels, filters = s.Filters;
            float* col = s.IsPointwise ? null : Scratch.Columns((nint)patch * pixels);
            float* transposed = Scratch.Packing((nint)pixels * filters);
            for (int n = first; n < last; n++)
            {
                float* image = x + (nint)n * s.InputSize;
                float* a = image;
                if (!s.IsPointwise)
                {
                    Im2Col<TS, TV>(Pad<TS, TV>(image, s, 0, s.Channels), s, col, 0, patch);
                    a = col;
                }
                // A(m = pixel, k = patch row) = col[k·pixels + m]; B[k, n = filter] = W[filter·patch + k], read transposed.
                var p = new GemmKernel.Operands(a, 1, pixels, weights, 1, transposed, filters, pixels, patch, filters, bCol: patch);
                GemmKernel.Run<TS, TV, TE>(p, epilogue);
                Transpose(transposed, pixels, filters, y + (nint)n * s.OutputSize);
            }
        }
    }

    /// <summary>
    /// One chunk of images with the pixels as the product's rows and no im2col matrix: Wᵀ packed whole once (it is the
    /// same B for every image), then per image, k block by k block, the tiles read A(pixel, k) straight from the padded
    /// image (<see cref="ImageRows"/>); yᵀ_n goes to scratch and is transposed into y_n as in <see cref="PixelRowsForwardJob{TS, TV, TE}"/>.
    /// The same k blocks and FMA chains as that job's product, so the same bits.
    /// </summary>
    private readonly struct ImplicitPixelRowsForwardJob<TS, TV, TE>(float* x, float* weights, float* y, Conv2dShape s, TE epilogue) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch, chunk, chunks);
            if (first >= last) return;
            int patch = s.PatchSize, pixels = s.OutputPixels, filters = s.Filters, panel = 2 * TS.Count, kc0 = GemmKernel.KcFor(patch, panel);
            int width = (filters + panel - 1) / panel * panel;
            float* packed = Scratch.Columns((nint)patch * width);
            for (int pc = 0; pc < patch; pc += kc0)
                GemmKernel.PackTransposed<TS, TV>(weights + pc, patch, Math.Min(kc0, patch - pc), filters, packed + (nint)pc * width);
            int* corners = Scratch.Runs(pixels + patch), offsets = corners + pixels;
            ImageRows.Offsets(s, corners, offsets);
            float* transposed = Scratch.Packing((nint)pixels * filters);
            float* tile = stackalloc float[GemmKernel.Rows * GemmKernel.MaxPanel];
            var p = new GemmKernel.Operands(null, 0, 0, null, 0, transposed, filters, pixels, patch, filters);
            for (int n = first; n < last; n++)
            {
                float* padded = Pad<TS, TV>(x + (nint)n * s.InputSize, s, 0, s.Channels);
                for (int pc = 0; pc < patch; pc += kc0)
                {
                    int kc = Math.Min(kc0, patch - pc);
                    bool accumulate = pc > 0, finish = pc + kc >= patch;
                    var a = new ImageRows(padded, corners, offsets + pc);
                    for (int col = 0; col < filters; col += panel)
                        GemmKernel.Tiles<TS, TV, TE, ImageRows, ImageTile>(p, epilogue, a, packed + (nint)pc * width + (nint)(col / panel) * kc * panel, kc,
                            accumulate, finish, 0, pixels, col, Math.Min(panel, filters - col), tile);
                }
                Transpose(transposed, pixels, filters, y + (nint)n * s.OutputSize);
            }
        }
    }

    /// <summary>
    /// An im2col matrix that is never written: A(row, k) = padded[rowOffsets[row] + columnOffsets[k]]. With the pixels
    /// as rows (the forward), a pixel's offset is its window corner oh·S·P′W + ow·S and a weight's is its place
    /// c·plane + kh·P′W + kw in the padded image (<see cref="Offsets"/>); with the weights as rows (the weight gradient),
    /// the same two tables swap roles. Each tile of six rows takes its six offsets; each k, one offset shared by the six.
    /// </summary>
    internal readonly struct ImageRows(float* padded, int* rowOffsets, int* columnOffsets) : GemmKernel.ITileSource<ImageTile>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ImageTile Tile(int r) => new(padded, rowOffsets + r, columnOffsets);

        /// <summary>Every pixel's window corner and every weight's offset in the padded image, for <paramref name="s"/>.</summary>
        public static void Offsets(in Conv2dShape s, int* corners, int* offsets)
        {
            int pw = s.PaddedWidth, kernelArea = s.KernelHeight * s.KernelWidth, plane = s.PaddedHeight * pw;
            for (int pixel = 0; pixel < s.OutputPixels; pixel++)
                corners[pixel] = pixel / s.OutputWidth * s.Stride * pw + pixel % s.OutputWidth * s.Stride;
            for (int r = 0; r < s.PatchSize; r++)
                offsets[r] = r / kernelArea * plane + r % kernelArea / s.KernelWidth * pw + r % s.KernelWidth;
        }
    }

    /// <summary>Six rows of <see cref="ImageRows"/>' implicit matrix: row i at its own offset, k at the k block's shared offsets.</summary>
    internal readonly struct ImageTile(float* padded, int* rowOffsets, int* columnOffsets) : GemmKernel.ITileRows
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* Row(int i) => padded + rowOffsets[i];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public nint Offset(nint k) => columnOffsets[k];
    }

    /// <summary>d[j·rows + i] = s[i·cols + j]: eight by eight through AVX where both sizes allow, the edges one float at a time.</summary>
    private static void Transpose(float* source, int rows, int cols, float* target)
    {
        bool vector = System.Runtime.Intrinsics.X86.Avx.IsSupported;
        int rows8 = vector ? rows & ~7 : 0, cols8 = vector ? cols & ~7 : 0;
        for (int i = 0; i < rows8; i += 8)
            for (int j = 0; j < cols8; j += 8)
                Transposition.Transpose8x8(source + (nint)i * cols + j, cols, target + (nint)j * rows + i, rows);
        for (int i = 0; i < rows; i++)
            for (int j = i < rows8 ? cols8 : 0; j < cols; j++)
                target[(nint)j * rows + i] = source[(nint)i * cols + j];
    }

    /// <summary>
    /// One chunk of images, lowered implicitly: the product's loop nest (<see cref="GemmKernel"/>'s column blocks, k
    /// blocks and tiles, with the same k order, so the same bits as the im2col path) with each block of B packed
    /// straight from the padded image. A block's output pixels are cut into pieces that are contiguous in the image
    /// (one output row, within one panel); every row of the patch then copies the same pieces from its own offset.
    /// </summary>
    private readonly struct ImplicitForwardJob<TS, TV, TE>(float* x, float* weights, float* y, Conv2dShape s, TE epilogue) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch, chunk, chunks);
            int patch = s.PatchSize, pixels = s.OutputPixels, panel = 2 * TS.Count, kc0 = GemmKernel.KcFor(patch, panel);
            float* packed = Scratch.Packing(GemmKernel.KBlock * GemmKernel.NBlock);
            float* tile = stackalloc float[GemmKernel.Rows * GemmKernel.MaxPanel];
            // At most one piece per pixel of a block, plus the zeros after its last pixel.
            // And, after them, each piece's place in the packed block.
            int* pieces = stackalloc int[6 * (GemmKernel.NBlock + 1)];
            for (int n = first; n < last; n++)
            {
                float* padded = Pad<TS, TV>(x + (nint)n * s.InputSize, s, 0, s.Channels);
                var p = new GemmKernel.Operands(weights, patch, 1, null, 0, y + (nint)n * s.OutputSize, pixels, s.Filters, patch, pixels);
                for (int jc = 0; jc < pixels; jc += GemmKernel.NBlock)
                {
                    int nc = Math.Min(GemmKernel.NBlock, pixels - jc);
                    int count = Pieces(s, jc, nc, panel, pieces);
                    for (int pc = 0; pc < patch; pc += kc0)
                    {
                        int kc = Math.Min(kc0, patch - pc);
                        // Where each piece starts in the panels of this k block (panel j / 2w, lane j mod 2w).
                        for (int i = 0; i < count; i++) pieces[3 * i + 3 * (GemmKernel.NBlock + 1)] = pieces[3 * i] / panel * kc * panel + pieces[3 * i] % panel;
                        PackImage(padded, s, pc, kc, panel, pieces, count, packed);
                        bool accumulate = pc > 0, finish = pc + kc >= patch;
                        for (int ic = 0; ic < s.Filters; ic += GemmKernel.MBlock)
                        {
                            int mEnd = Math.Min(ic + GemmKernel.MBlock, s.Filters);
                            for (int jr = 0; jr < nc; jr += panel)
                                GemmKernel.Tiles<TS, TV, TE>(p, epilogue, GemmKernel.InPlace(p, pc), packed + (nint)(jr / panel) * kc * panel, kc,
                                    accumulate, finish, ic, mEnd, jc + jr, Math.Min(panel, nc - jr), tile);
                        }
                    }
                }
            }
        }

        /// <summary>
        /// The pieces of output pixels [jc, jc + nc) as (position in the block, length, offset in the padded plane),
        /// cut where an output row or a panel ends; then one piece of zeros, negative offset, to the last panel's end.
        /// </summary>
        private static int Pieces(in Conv2dShape s, int jc, int nc, int panel, int* pieces)
        {
            int count = 0, outWidth = s.OutputWidth, pw = s.PaddedWidth, stride = s.Stride;
            for (int j = 0; j < nc;)
            {
                int pixel = jc + j, oh = pixel / outWidth, ow = pixel % outWidth;
                // With a stride, neighbouring pixels are not neighbours in the image: one pixel per piece.
                int length = stride == 1 ? Math.Min(Math.Min(outWidth - ow, nc - j), panel - j % panel) : 1;
                pieces[3 * count] = j; pieces[3 * count + 1] = length; pieces[3 * count + 2] = oh * stride * pw + ow * stride;
                count++;
                j += length;
            }
            int end = (nc + panel - 1) / panel * panel;
            if (end > nc) { pieces[3 * count] = nc; pieces[3 * count + 1] = end - nc; pieces[3 * count + 2] = -1; count++; }
            return count;
        }

        /// <summary>Patch rows [pc, pc + kc) of the block into the product's panels: kc × 2w floats each, panel after panel.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void PackImage(float* padded, in Conv2dShape s, int pc, int kc, int panel, int* pieces, int count, float* packed)
        {
            int kernelArea = s.KernelHeight * s.KernelWidth, pw = s.PaddedWidth;
            nint plane = (nint)s.PaddedHeight * pw;
            int* places = pieces + 3 * (GemmKernel.NBlock + 1);
            for (int k = 0; k < kc; k++)
            {
                int r = pc + k, c = r / kernelArea, kh = r % kernelArea / s.KernelWidth, kw = r % s.KernelWidth;
                float* source = padded + c * plane + (nint)kh * pw + kw;
                float* row = packed + (nint)k * panel;
                for (int i = 0; i < count; i++)
                {
                    int length = pieces[3 * i + 1], offset = pieces[3 * i + 2];
                    float* target = row + places[3 * i];
                    if (offset < 0) new Span<float>(target, length).Clear();
                    else if (length == 1) *target = source[offset];
                    else Copy<TS, TV>(source + offset, target, length);
                }
            }
        }
    }

    /// <summary>One chunk of images: im2col of each into this thread's scratch, then y_n = epilogue(W · col_n).</summary>
    private readonly struct ForwardJob<TS, TV, TE>(float* x, float* weights, float* y, Conv2dShape s, TE epilogue) : IParallelJob
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                    Im2Col<TS, TV>(Pad<TS, TV>(image, s, 0, s.Channels), s, col, 0, patch);
                    b = col;
                }
                var p = new GemmKernel.Operands(weights, patch, 1, b, pixels, y + (nint)n * s.OutputSize, pixels, s.Filters, patch, pixels);
                GemmKernel.Run<TS, TV, TE>(p, epilogue);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient<TS, TV>(float* x, float* dz, float* dWeights, float* dBias, in Conv2dShape shape, Optimizers.FusedRows? rows,
        WeightGradientOrientation? orientation)
        where TS : ISimd<TV> where TV : struct
    {
        var chosen = orientation ?? WeightGradientLayout(shape, 2 * TS.Count);
        if (chosen == WeightGradientOrientation.FilterRows)
        {
            FilterRowsWeightGradient<TS, TV>(x, dz, dWeights, dBias, shape, rows);
            return;
        }
        // Chunks own blocks of whole six-row tiles of dWᵀ (the remainder joins the last block), so no chunk has the
        // one or two rows that the product would take on its direct path, whose last columns are summed differently.
        int units = Math.Max(1, shape.PatchSize / GemmKernel.Rows);
        float* transposed = Scratch.Transposed(shape.WeightCount);
        var job = new WeightGradientJob<TS, TV>(x, dz, transposed, dBias, shape, units, chosen == WeightGradientOrientation.ImplicitPatchRows);
        Launch(ref job, Parallelism.ChunksFor(shape.ForwardFlops, units));
        // dWᵀ [C·KH·KW, F] → dW [F, C·KH·KW]: a copy of the weights' size, once per call, a filter's row at a time so
        // that a fused step takes each row while it is in L1.
        int patch = shape.PatchSize, filters = shape.Filters;
        for (int f = 0; f < filters; f++)
        {
            float* row = dWeights + (nint)f * patch;
            for (int j = 0; j < patch; j++) row[j] = transposed[(nint)j * filters + f];
            if (rows is { } step) step.Finished(f, 1);
        }
    }

    /// <summary>
    /// One chunk: rows [j0, j1) of dWᵀ = Σ_n col_n · dz_nᵀ (rows j0 … j1 − 1 of every image's im2col matrix, read in
    /// place as A; dz_n, the small operand, read transposed and packed) and a share of db's filters, each summed over
    /// the images in order: the first image's product is stored, the others' added in the store. This orientation
    /// leaves the large matrix unpacked: with dW as C (F rows) the product would pack every col_n, transposed, per image.
    /// </summary>
    private readonly struct WeightGradientJob<TS, TV>(float* x, float* dz, float* transposed, float* dBias, Conv2dShape s, int units, bool imageRows) : IParallelJob
        where TS : ISimd<TV> where TV : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(units, chunk, chunks);
            var (f0, f1) = Parallelism.Range(s.Filters, chunk, chunks);
            int patch = s.PatchSize, pixels = s.OutputPixels, kernelArea = s.KernelHeight * s.KernelWidth;
            int j0 = first * GemmKernel.Rows, j1 = last == units ? patch : last * GemmKernel.Rows;
            bool implicitRows = imageRows && !s.IsPointwise;
            float* col = j0 >= j1 || s.IsPointwise || implicitRows ? null : Scratch.Columns((nint)(j1 - j0) * pixels);
            float* c = transposed + (nint)j0 * s.Filters;
            int panel = 2 * TS.Count, kc0 = GemmKernel.KcFor(pixels, panel), width = (s.Filters + panel - 1) / panel * panel;
            int* corners = null, offsets = null;
            float* packed = null;
            if (implicitRows && j0 < j1)
            {
                corners = Scratch.Runs(pixels + patch);
                offsets = corners + pixels;
                ImageRows.Offsets(s, corners, offsets);
                packed = Scratch.Columns((nint)kc0 * width);
            }
            float* tile = stackalloc float[GemmKernel.Rows * GemmKernel.MaxPanel];
            for (int n = 0; n < s.Batch; n++)
            {
                float* g = dz + (nint)n * s.OutputSize;
                if (j0 < j1 && implicitRows)
                {
                    float* padded = Pad<TS, TV>(x + (nint)n * s.InputSize, s, j0 / kernelArea, (j1 - 1) / kernelArea + 1);
                    // C has only rows [j0, j1): its row r is patch row j0 + r, whose offset the tile source starts at.
                    var p = new GemmKernel.Operands(null, 0, 0, null, 0, c, s.Filters, j1 - j0, pixels, s.Filters);
                    for (int pc = 0; pc < pixels; pc += kc0)
                    {
                        int kc = Math.Min(kc0, pixels - pc);
                        // B[k = pixel, n = filter] = dz_n[filter·pixels + pixel]: dz_n read transposed.
                        GemmKernel.PackTransposed<TS, TV>(g + pc, pixels, kc, s.Filters, packed);
                        var a = new ImageRows(padded, offsets + j0, corners + pc);
                        for (int column = 0; column < s.Filters; column += panel)
                            GemmKernel.Tiles<TS, TV, Plain, ImageRows, ImageTile>(p, default, a, packed + (nint)(column / panel) * kc * panel, kc,
                                n > 0 || pc > 0, finish: true, 0, j1 - j0, column, Math.Min(panel, s.Filters - column), tile);
                    }
                }
                else if (j0 < j1)
                {
                    float* image = x + (nint)n * s.InputSize;
                    float* a;
                    if (s.IsPointwise) a = image + (nint)j0 * pixels;
                    else
                    {
                        // Only the channels these rows read are padded.
                        float* padded = Pad<TS, TV>(image, s, j0 / kernelArea, (j1 - 1) / kernelArea + 1);
                        Im2Col<TS, TV>(padded, s, col, j0, j1);
                        a = col;
                    }
                    // A = col rows [j0, j1) (a pixel per k); B[k = pixel, n = filter] = dz_n[filter·pixels + pixel].
                    var p = new GemmKernel.Operands(a, pixels, 1, g, 1, c, s.Filters, j1 - j0, pixels, s.Filters, bCol: pixels);
                    if (n == 0) GemmKernel.Run<TS, TV, Plain>(p, default);
                    else GemmKernel.Run<TS, TV, Accumulate>(p, new Accumulate(c, s.Filters));
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

    /// <summary>
    /// dW = Σ_n dz_n · col_nᵀ with the filters as C's rows (<see cref="WeightGradientOrientation.FilterRows"/>): each
    /// group of images sums into its own [F, patch rounded up to whole panels] buffer, the groups are then added in
    /// order into dW, a filter's row at a time (a fused step takes each row as it is finished); db sums each image's
    /// per-filter sums in image order, as the other orientation does, so db is the same bits either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterRowsWeightGradient<TS, TV>(float* x, float* dz, float* dWeights, float* dBias, in Conv2dShape shape, Optimizers.FusedRows? rows)
        where TS : ISimd<TV> where TV : struct
    {
        int panel = 2 * TS.Count, patch = shape.PatchSize, filters = shape.Filters;
        int groups = Math.Min(shape.Batch, WeightGradientGroups);
        int width = (patch + panel - 1) / panel * panel;
        nint groupSize = (nint)filters * width;
        // The groups' sums, then every image's per-filter sums of dz (for db).
        float* partial = Scratch.Transposed(groups * groupSize + (nint)shape.Batch * filters);
        float* imageSums = partial + groups * groupSize;
        var job = new FilterRowsJob<TS, TV>(x, dz, partial, dBias == null ? null : imageSums, shape, groups, width);
        Launch(ref job, Parallelism.ChunksFor(shape.ForwardFlops, groups));
        for (int f = 0; f < filters; f++)
        {
            var row = new Span<float>(dWeights + (nint)f * patch, patch);
            new ReadOnlySpan<float>(partial + (nint)f * width, patch).CopyTo(row);
            for (int g = 1; g < groups; g++)
                System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(partial + g * groupSize + (nint)f * width, patch), row);
            if (rows is { } step) step.Finished(f, 1);
        }
        if (dBias == null) return;
        for (int f = 0; f < filters; f++)
        {
            float sum = imageSums[f];
            for (int n = 1; n < shape.Batch; n++) sum += imageSums[(nint)n * filters + f];
            dBias[f] = sum;
        }
    }

    /// <summary>
    /// One chunk of groups of images: for each image and each k block of its output pixels, col_nᵀ's rows for those
    /// pixels are written straight into the product's panels (<see cref="PackPatches"/>) and the filters' tiles take
    /// them with dz_n read in place, each group's first block starting its sums from zero and every later one from
    /// what C holds, so a group's images are summed in order. Each image's per-filter sums of dz go to
    /// <c>imageSums</c> (null: no db) while dz_n is in cache.
    /// </summary>
    private readonly struct FilterRowsJob<TS, TV>(float* x, float* dz, float* partial, float* imageSums, Conv2dShape s, int groups, int width) : IParallelJob
        where TS : ISimd<TV> where TV : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (firstGroup, lastGroup) = Parallelism.Range(groups, chunk, chunks);
            int panel = 2 * TS.Count, pixels = s.OutputPixels, filters = s.Filters, kc0 = GemmKernel.KcFor(pixels, panel);
            int panels = width / panel;
            int capacity = PatchRuns.Capacity(s, panels);
            int* runs = Scratch.Runs(capacity + kc0), corners = runs + capacity;
            PatchRuns.Cut(s, panel, panels, runs);
            float* packed = Scratch.Columns((nint)kc0 * width);
            // Columns past the patch that no run's vectors reach: zero, so C's unread columns there stay finite.
            new Span<float>(packed, kc0 * width).Clear();
            float* tile = stackalloc float[GemmKernel.Rows * GemmKernel.MaxPanel];
            for (int g = firstGroup; g < lastGroup; g++)
            {
                var (first, last) = Parallelism.Range(s.Batch, g, groups);
                float* c = partial + (nint)g * filters * width;
                for (int n = first; n < last; n++)
                {
                    float* image = x + (nint)n * s.InputSize, gradient = dz + (nint)n * s.OutputSize;
                    // The image with its padding, in scratch even without any: the run copies read up to a vector past a run.
                    float* padded = s.Padding > 0 ? Pad<TS, TV>(image, s, 0, s.Channels) : ScratchCopy<TS, TV>(image, s.InputSize);
                    // A(m = filter, k = pixel) = dz_n[filter·pixels + pixel]; B[k = pixel, n = patch column] = col_n[column, pixel].
                    var p = new GemmKernel.Operands(gradient, pixels, 1, null, 0, c, width, filters, pixels, width);
                    for (int pc = 0; pc < pixels; pc += kc0)
                    {
                        int kc = Math.Min(kc0, pixels - pc);
                        PackPatches(padded, s, runs, panels, panel, pc, kc, corners, packed);
                        bool accumulate = n > first || pc > 0;
                        for (int col = 0; col < width; col += panel)
                            GemmKernel.Tiles<TS, TV, Plain>(p, default, GemmKernel.InPlace(p, pc), packed + (nint)(col / panel) * kc * panel, kc,
                                accumulate, finish: true, 0, filters, col, panel, tile);
                    }
                    if (imageSums != null)
                        for (int f = 0; f < filters; f++) imageSums[(nint)n * filters + f] = Sum<TS, TV>(gradient + (nint)f * pixels, pixels);
                }
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> floats of an image into this thread's padded-image scratch, which has slack past them.</summary>
    private static float* ScratchCopy<TS, TV>(float* image, int count) where TS : ISimd<TV> where TV : struct
    {
        float* copy = Scratch.Padded(count);
        Copy<TS, TV>(image, copy, count);
        return copy;
    }

    /// <summary>
    /// How one row of col_nᵀ (one output pixel's patch, C·KH·KW floats) falls into the product's panels: runs of
    /// KW floats that are contiguous in the padded image (one kernel row of one channel) and in the patch, cut where a
    /// panel ends. Laid out as the first run of each panel (panels + 1 ints), then four ints per run: its column in
    /// the panel, its offset in the padded image from the pixel's window corner, its length, and how much of it goes
    /// in whole eight-float vectors (<see cref="PackPatches"/>).
    /// </summary>
    private static class PatchRuns
    {
        public const int Fields = 4;

        public static int Capacity(in Conv2dShape s, int panels) => panels + 1 + Fields * (s.Channels * s.KernelHeight + panels);

        public static void Cut(in Conv2dShape s, int panel, int panels, int* runs)
        {
            int patch = s.PatchSize, kw = s.KernelWidth, kh = s.KernelHeight, pw = s.PaddedWidth;
            nint plane = (nint)s.PaddedHeight * pw;
            int* run = runs + panels + 1;
            int count = 0;
            for (int j = 0; j < panels; j++)
            {
                runs[j] = count;
                int low = j * panel, high = Math.Min(patch, low + panel);
                for (int r = low; r < high; count++)
                {
                    int kernelRow = r / kw, column = r % kw, length = Math.Min(kw - column, high - r);
                    int at = r - low, whole = (length + 7) / 8 * 8;
                    run[Fields * count] = at;
                    run[Fields * count + 1] = (int)(kernelRow / kh * plane) + kernelRow % kh * pw + column;
                    run[Fields * count + 2] = length;
                    // Vectors may reach past the run into later columns of the same row (written after, or beyond
                    // the patch), never past the row: that would be the next pixel's row, written before.
                    run[Fields * count + 3] = !Vector256.IsHardwareAccelerated ? 0 : at + whole <= panel ? whole : length / 8 * 8;
                    r += length;
                }
            }
            runs[panels] = count;
        }
    }

    /// <summary>
    /// Output pixels [p0, p0 + kc) of col_nᵀ, straight into the product's packed block: panel after panel of kc × 2w
    /// floats, row k of a panel holding pixel p0 + k's patch columns of that panel. Run by run, each down all kc
    /// pixels (one run's source and target offsets, then a tight loop of copies); a run goes in whole eight-float
    /// vectors that may reach past it into columns a later run writes (or past the patch, whose columns of C nobody
    /// reads), and only its part that would reach past the row is copied float by float. Columns past the patch that
    /// no vector reaches keep what <paramref name="packed"/> held: zeroed once by the caller.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPatches(float* padded, in Conv2dShape s, int* runs, int panels, int panel, int p0, int kc, int* corners, float* packed)
    {
        int outWidth = s.OutputWidth, stride = s.Stride, pw = s.PaddedWidth;
        for (int k = 0, oh = p0 / outWidth, ow = p0 % outWidth; k < kc; k++)
        {
            corners[k] = oh * stride * pw + ow * stride;
            if (++ow == outWidth) { ow = 0; oh++; }
        }
        int* run = runs + panels + 1;
        for (int j = 0; j < panels; j++)
        {
            float* block = packed + (nint)j * kc * panel;
            for (int i = runs[j]; i < runs[j + 1]; i++)
            {
                int at = run[PatchRuns.Fields * i], length = run[PatchRuns.Fields * i + 2], whole = run[PatchRuns.Fields * i + 3];
                float* source = padded + run[PatchRuns.Fields * i + 1];
                float* target = block + at;
                for (int k = 0; k < kc; k++, target += panel)
                {
                    float* from = source + corners[k];
                    int v = 0;
                    for (; v < whole; v += 8) Vector256.Store(Vector256.Load(from + v), target + v);
                    for (; v < length; v++) target[v] = from[v];
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
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(s.Batch, chunk, chunks);
            int patch = s.PatchSize, pixels = s.OutputPixels;
            // The gather of a stride-1 col2im reads a vector either side of each run of dcol (lanes it then drops), so
            // dcol keeps a margin before and after it inside the scratch.
            int margin = Col2ImMargin(s);
            float* dcol = s.IsPointwise ? null : Scratch.Columns((nint)patch * pixels + 2 * margin) + margin;
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
                Col2Im<TS, TV, TAct>(dcol, s, image, saved, activation);
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
    /// Channels [c0, c1) of image x with P zeros around each plane, (H + 2P) × (W + 2P), in this thread's scratch; x
    /// itself when P = 0. Reading the padded plane, im2col needs no bounds: each output row of a row of col is one
    /// run of the plane, copied without a branch. A channel outside [c0, c1) is left as it was.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float* Pad<TS, TV>(float* x, in Conv2dShape s, int c0, int c1) where TS : ISimd<TV> where TV : struct
    {
        if (s.Padding == 0) return x;
        int height = s.Height, width = s.Width, pw = s.PaddedWidth, ph = s.PaddedHeight, pad = s.Padding;
        nint plane = (nint)ph * pw;
        float* padded = Scratch.Padded(s.Channels * plane);
        for (int c = c0; c < c1; c++)
        {
            float* target = padded + c * plane, source = x + (nint)c * height * width;
            new Span<float>(target, pad * pw + pad).Clear();
            for (int h = 0; h < height; h++)
            {
                float* row = target + (nint)(h + pad) * pw + pad;
                Copy<TS, TV>(source + (nint)h * width, row, width);
                // The right padding of this row and the left of the next are contiguous.
                new Span<float>(row + width, 2 * pad).Clear();
            }
            new Span<float>(target + (nint)(height + pad) * pw + pad, pad * pw - pad).Clear();
        }
        return padded;
    }

    /// <summary>
    /// Rows [first, last) of one image's im2col matrix into <paramref name="col"/>, row after row of OH·OW floats:
    /// row (c, kh, kw) holds x[c, oh·S − P + kh, ow·S − P + kw] at column oh·OW + ow, 0 where that falls in the
    /// padding; read from the image as <see cref="Pad{TS, TV}"/> left it, at (oh·S + kh, ow·S + kw).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Im2Col<TS, TV>(float* padded, in Conv2dShape s, float* col, int first, int last)
        where TS : ISimd<TV> where TV : struct
    {
        int pw = s.PaddedWidth, outHeight = s.OutputHeight, outWidth = s.OutputWidth, stride = s.Stride;
        nint plane = (nint)s.PaddedHeight * pw, rowStep = (nint)stride * pw;
        int kernelArea = s.KernelHeight * s.KernelWidth;
        for (int r = first; r < last; r++, col += (nint)outHeight * outWidth)
        {
            int c = r / kernelArea, kh = r % kernelArea / s.KernelWidth, kw = r % s.KernelWidth;
            float* source = padded + c * plane + (nint)kh * pw + kw;
            float* target = col;
            if (stride == 1)
                for (int oh = 0; oh < outHeight; oh++, source += rowStep, target += outWidth) Copy<TS, TV>(source, target, outWidth);
            else
                for (int oh = 0; oh < outHeight; oh++, source += rowStep, target += outWidth)
                    for (int ow = 0; ow < outWidth; ow++) target[ow] = source[(nint)ow * stride];
        }
    }

    /// <summary>
    /// dx[c, h, w] = f′(below) · Σ over the windows that cover it of dcol[(c, kh, kw), (oh, ow)]. Every element takes
    /// its shares in the same order (kw, then kh, starting from +0) at every width, by either path. At stride 1 the
    /// shares are gathered (<see cref="Col2ImGather{TS, TV, TAct}"/>), which reads up to
    /// <see cref="Col2ImMargin"/> floats before and after dcol; at a larger stride each row of dcol is added, float by
    /// float, where im2col took it from, into a zeroed padded image in scratch (so no bounds are checked), whose inside
    /// then goes to dx through the derivative.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Col2Im<TS, TV, TAct>(float* dcol, in Conv2dShape s, float* dx, float* below, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        if (s.Stride == 1)
        {
            Col2ImGather<TS, TV, TAct>(dcol, s, dx, below, activation);
            return;
        }
        int pw = s.PaddedWidth, outHeight = s.OutputHeight, outWidth = s.OutputWidth, stride = s.Stride, pad = s.Padding;
        nint plane = (nint)s.PaddedHeight * pw, rowStep = (nint)stride * pw;
        int kernelArea = s.KernelHeight * s.KernelWidth;
        // The sums go to a zeroed padded image in this thread's scratch, so no share needs a bounds check.
        float* sums = Scratch.Padded(s.Channels * plane);
        new Span<float>(sums, (int)(s.Channels * plane)).Clear();
        // kw outermost, then c and kh: the order every element takes its shares in, the gather's too.
        for (int kw = 0; kw < s.KernelWidth; kw++)
            for (int c = 0; c < s.Channels; c++)
                for (int kh = 0; kh < s.KernelHeight; kh++)
                {
                    int r = c * kernelArea + kh * s.KernelWidth + kw;
                    float* target = sums + c * plane + (nint)kh * pw + kw;
                    float* source = dcol + (nint)r * outHeight * outWidth;
                    for (int oh = 0; oh < outHeight; oh++, target += rowStep, source += outWidth)
                        for (int ow = 0; ow < outWidth; ow++) target[(nint)ow * stride] += source[ow];
                }
        int height = s.Height, width = s.Width;
        if (pad == 0)
        {
            ApplyDerivative<TS, TV, TAct>(sums, dx, below, s.InputSize, activation);
            return;
        }
        for (int c = 0; c < s.Channels; c++)
            for (int h = 0; h < height; h++)
            {
                nint at = ((nint)c * height + h) * width;
                ApplyDerivative<TS, TV, TAct>(sums + c * plane + (nint)(h + pad) * pw + pad, dx + at, below + at, width, activation);
            }
    }

    /// <summary>
    /// Floats of dcol the gather may read before its first and after its last (lanes it drops): a kernel's width
    /// before (ow = w + P − kw reaches down to 1 − KW), and a kernel's width and a vector after, rounded to keep dcol aligned.
    /// </summary>
    internal static int Col2ImMargin(in Conv2dShape s) => (s.KernelWidth + Slack + 15) / 16 * 16;

    /// <summary>
    /// Stride-1 col2im as a gather: each vector of a row of dx is summed in a register over the runs of dcol that
    /// land on it, dx[c, h, w] = Σ_kw Σ_kh dcol[(c, kh, kw), (h + P − kh, w + P − kw)] over the kh with
    /// 0 ≤ h + P − kh &lt; OH, a lane whose ow falls outside [0, OW) adding −0 (x + −0 = x) instead of the float it
    /// loaded there (one of the row beside, or of the margin). No read-modify-write through memory and no zeroed
    /// image: the sums go to scratch in whole vectors, then through the derivative to dx a plane at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Col2ImGather<TS, TV, TAct>(float* dcol, in Conv2dShape s, float* dx, float* below, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        int w = TS.Count, width = s.Width, height = s.Height, pad = s.Padding, channels = s.Channels;
        int kernelHeight = s.KernelHeight, kernelWidth = s.KernelWidth, outHeight = s.OutputHeight, outWidth = s.OutputWidth;
        int vectors = (width + w - 1) / w;
        nint pixels = (nint)outHeight * outWidth, channelRows = (nint)kernelHeight * kernelWidth * pixels;
        // keep[(kw·vectors + v)·w + lane] > 0 where column v·w + lane has ow = column + P − kw inside [0, OW).
        float* keep = stackalloc float[kernelWidth * vectors * w];
        for (int kw = 0; kw < kernelWidth; kw++)
            for (int column = 0; column < vectors * w; column++)
                keep[kw * vectors * w + column] = column + pad - kw >= 0 && column + pad - kw < outWidth ? 1f : -1f;
        TV negativeZero = TS.Broadcast(-0f);
        // A row's last vector spills into the start of the next row, which is written after it; the spill of a
        // plane's last row would land on the next plane's first, written before it, so each plane has a vector of room.
        nint plane = (nint)height * width, planeStride = plane + w;
        float* sums = Scratch.Padded(channels * planeStride);
        // Four channels at a time: one add after another into a single sum waits out each add's latency, four
        // independent sums keep the adder busy, and each element keeps its order. The last channels short of four
        // go one at a time (the branch is the same for a whole group).
        for (int c = 0; c < channels; c += c + 4 <= channels ? 4 : 1)
        {
            bool four = c + 4 <= channels;
            for (int h = 0; h < height; h++)
            {
                // The kernel rows whose window row oh = h + P − kh exists.
                int khFirst = Math.Max(0, h + pad - outHeight + 1), khLast = Math.Min(kernelHeight - 1, h + pad);
                float* target = sums + c * planeStride + (nint)h * width;
                for (int v = 0; v < vectors; v++)
                {
                    TV sum0 = TS.Zero, sum1 = TS.Zero, sum2 = TS.Zero, sum3 = TS.Zero;
                    for (int kw = 0; kw < kernelWidth; kw++)
                    {
                        TV inside = TS.Load(keep + (kw * vectors + v) * w);
                        // Row (c, kh, kw) of dcol at (oh, ow) = (h + P − kh, v·w + P − kw); the next kh is a row of dcol on, a window row back.
                        float* source = dcol + c * channelRows + ((nint)khFirst * kernelWidth + kw) * pixels
                            + (nint)(h + pad - khFirst) * outWidth + v * w + pad - kw;
                        for (int kh = khFirst; kh <= khLast; kh++, source += kernelWidth * pixels - outWidth)
                        {
                            sum0 = TS.Add(sum0, TS.SelectPositive(inside, TS.Load(source), negativeZero));
                            if (!four) continue;
                            sum1 = TS.Add(sum1, TS.SelectPositive(inside, TS.Load(source + channelRows), negativeZero));
                            sum2 = TS.Add(sum2, TS.SelectPositive(inside, TS.Load(source + 2 * channelRows), negativeZero));
                            sum3 = TS.Add(sum3, TS.SelectPositive(inside, TS.Load(source + 3 * channelRows), negativeZero));
                        }
                    }
                    TS.Store(target + v * w, sum0);
                    if (!four) continue;
                    TS.Store(target + planeStride + v * w, sum1);
                    TS.Store(target + 2 * planeStride + v * w, sum2);
                    TS.Store(target + 3 * planeStride + v * w, sum3);
                }
            }
        }
        for (int c = 0; c < channels; c++)
            ApplyDerivative<TS, TV, TAct>(sums + c * planeStride, dx + c * plane, below + c * plane, (int)plane, activation);
    }

    /// <summary>
    /// target[0 … count) = source[0 … count): whole vectors, the last one overlapping the one before (rewriting the
    /// same values) rather than a tail of single floats; a run shorter than a vector goes by eight, four or one (the
    /// reference CNN's 14-float rows at Vector512: two eight-float copies rather than four of four).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<TS, TV>(float* source, float* target, int count) where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        if (count >= w)
        {
            for (int i = 0; i + w < count; i += w) TS.Store(target + i, TS.Load(source + i));
            TS.Store(target + count - w, TS.Load(source + count - w));
        }
        else if (count >= 8 && w > 8)
        {
            Vector256.Store(Vector256.Load(source), target);
            Vector256.Store(Vector256.Load(source + count - 8), target + count - 8);
        }
        else if (count >= 4 && w > 4)
        {
            for (int i = 0; i + 4 < count; i += 4) Vector128.Store(Vector128.Load(source + i), target + i);
            Vector128.Store(Vector128.Load(source + count - 4), target + count - 4);
        }
        else
            for (int i = 0; i < count; i++) target[i] = source[i];
    }

    /// <summary>Floats a vector may reach past the end of a run (the packing's and col2im's gather's last vectors): the widest vector.</summary>
    internal const int Slack = 16;

    /// <summary>dx = f′ applied to the summed gradient from the saved outputs, over <paramref name="count"/> floats (sums may be dx).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyDerivative<TS, TV, TAct>(float* sums, float* dx, float* below, int count, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        // A row shorter than the vector would otherwise go float by float.
        if (TS.Count > 8 && count < TS.Count)
        {
            ApplyDerivative<Simd256, Vector256<float>, TAct>(sums, dx, below, count, activation);
            return;
        }
        int w = TS.Count, i = 0;
        for (; i + w <= count; i += w) TS.Store(dx + i, activation.Backward<TS, TV>(TS.Load(sums + i), TS.Load(below + i)));
        for (; i < count; i++) dx[i] = activation.Backward<Scalar, float>(sums[i], below[i]);
    }

    /// <summary>Σ of <paramref name="count"/> floats: four vector accumulators, added in a fixed order, then the tail (batch norm's block sums too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Sum<TS, TV>(float* p, int count) where TS : ISimd<TV> where TV : struct
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

    /// <summary>
    /// Scratch on the pinned heap, 64-byte aligned, grown to the largest layer seen and then reused: per thread, an
    /// image's im2col matrix (or its input gradient's) and a padded image; per calling thread, the weight gradient's dWᵀ.
    /// </summary>
    private static class Scratch
    {
        [ThreadStatic] private static float[]? columns;
        [ThreadStatic] private static float[]? padded;
        [ThreadStatic] private static float[]? transposed;
        [ThreadStatic] private static float[]? packing;
        [ThreadStatic] private static int[]? runs;

        public static float* Columns(nint floats) => Grown(ref columns, floats);
        public static float* Padded(nint floats) => Grown(ref padded, floats);
        public static float* Transposed(nint floats) => Grown(ref transposed, floats);
        public static float* Packing(nint floats) => Grown(ref packing, floats);

        /// <summary>The runs of <see cref="PatchRuns"/>, grown to the largest layer seen.</summary>
        public static int* Runs(int ints)
        {
            if (runs is null || runs.Length < ints) runs = GC.AllocateUninitializedArray<int>(ints, pinned: true);
            return (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(runs));
        }

        private static float* Grown(ref float[]? buffer, nint floats)
        {
            // 16 floats for the alignment, and the slack a vector may reach past the end of a run.
            if (buffer is null || buffer.Length < floats + 16 + Slack) buffer = GC.AllocateUninitializedArray<float>((int)floats + 16 + Slack, pinned: true);
            float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
            return (float*)(((nint)start + 63) & ~(nint)63);
        }
    }
}
