// A convolution layer's parameters: a named, read-only view of W [F, C, K, K], b [F] (or γ, β and the BN statistics) in the network's blocks.
namespace Functional;

/// <summary>The pooling a convolution layer applies after its activation.</summary>
public enum PoolingKind
{
    /// <summary>No pooling.</summary>
    None,
    /// <summary>The maximum of each window (PyTorch's max_pool2d).</summary>
    Max,
    /// <summary>The mean of each window (PyTorch's avg_pool2d).</summary>
    Average,
}

/// <summary>
/// Where one convolution layer's pieces sit and what shapes it maps between: an input image [Channels, Height, Width],
/// <see cref="Filters"/> square <see cref="Kernel"/> × kernel filters moved by <see cref="Stride"/> over the input padded
/// by <see cref="Padding"/> zeros, then optional pooling (a <see cref="PoolSize"/> window moved by <see cref="PoolStride"/>).
/// In the parameter block: W [F, C, K, K] (PyTorch's layout), then b [F], or γ and β [F] with batch norm (per channel,
/// PyTorch's BatchNorm2d), whose running mean and variance [F] are in the buffer block. Absent parts have offset −1.
/// </summary>
public readonly record struct Conv2dLayout(
    int Channels, int Height, int Width, int Filters, int Kernel, int Stride, int Padding,
    PoolingKind Pooling, int PoolSize, int PoolStride,
    int WeightsOffset, int BiasOffset = -1, int GammaOffset = -1, int BetaOffset = -1, int RunningMeanOffset = -1, int RunningVarianceOffset = -1)
{
    /// <summary>Rows of the convolution's output, before pooling: ⌊(H + 2P − K)/S⌋ + 1.</summary>
    public int ConvolvedHeight => (Height + 2 * Padding - Kernel) / Math.Max(1, Stride) + 1;
    /// <summary>Columns of the convolution's output, before pooling.</summary>
    public int ConvolvedWidth => (Width + 2 * Padding - Kernel) / Math.Max(1, Stride) + 1;
    /// <summary>Rows of the layer's output (after pooling, if any).</summary>
    public int OutputHeight => Pooling == PoolingKind.None ? ConvolvedHeight : (ConvolvedHeight - PoolSize) / Math.Max(1, PoolStride) + 1;
    /// <summary>Columns of the layer's output (after pooling, if any).</summary>
    public int OutputWidth => Pooling == PoolingKind.None ? ConvolvedWidth : (ConvolvedWidth - PoolSize) / Math.Max(1, PoolStride) + 1;
    /// <summary>C·H·W: floats per input sample.</summary>
    public int InputSize => Channels * Height * Width;
    /// <summary>F·OH·OW: floats per output sample (after pooling).</summary>
    public int OutputSize => Filters * OutputHeight * OutputWidth;
    /// <summary>C·K·K: one filter's weights (PyTorch's fan-in).</summary>
    public int PatchSize => Channels * Kernel * Kernel;
    /// <summary>F·C·K·K: floats in W.</summary>
    public int WeightCount => Filters * PatchSize;

    /// <summary>
    /// The layer's tensors as the dense layout names them, for code that only needs where W, b, γ, β and the statistics
    /// lie (the finite-number scan, weight decay, monitoring): W as C·K·K inputs × F columns, each per-channel tensor [F].
    /// </summary>
    public DenseLayout AsDense() => new(PatchSize, Filters, 1, WeightsOffset, BiasOffset, GammaOffset, BetaOffset, -1, 0, RunningMeanOffset, RunningVarianceOffset);

    /// <summary>The shapes the kernels take for a batch of <paramref name="batch"/> images.</summary>
    public Kernels.Conv2dShape Shape(int batch) => new(batch, Channels, Height, Width, Filters, Kernel, Kernel, Stride, Padding);
}

/// <summary>
/// The parameters of one convolution layer, as read-only views into the network's contiguous blocks. Training never
/// changes a model it was given; it returns a new one.
/// </summary>
public sealed class Conv2d : LayerParameters
{
    /// <summary>A layer laid out by <paramref name="layout"/> in <paramref name="parameters"/> and <paramref name="buffers"/>.</summary>
    public Conv2d(float[] parameters, float[] buffers, Conv2dLayout layout) : base(parameters, buffers)
    {
        if (layout.Channels <= 0 || layout.Height <= 0 || layout.Width <= 0 || layout.Filters <= 0 || layout.Kernel <= 0 || layout.Stride <= 0 || layout.Padding < 0)
            throw new ArgumentOutOfRangeException(nameof(layout), $"a convolution needs positive sizes (and padding ≥ 0), got {Describe(layout)}");
        if (layout.ConvolvedHeight <= 0 || layout.ConvolvedWidth <= 0 || layout.Pooling != PoolingKind.None && (layout.PoolSize <= 0 || layout.PoolStride <= 0 || layout.OutputHeight <= 0 || layout.OutputWidth <= 0))
            throw new ArgumentOutOfRangeException(nameof(layout), $"the layer's output would be empty: {Describe(layout)}");
        Fits(parameters, layout.WeightsOffset, layout.WeightCount, "W");
        Fits(parameters, layout.BiasOffset, layout.Filters, "b");
        Fits(parameters, layout.GammaOffset, layout.Filters, "γ");
        Fits(parameters, layout.BetaOffset, layout.Filters, "β");
        Fits(buffers, layout.RunningMeanOffset, layout.Filters, "running mean");
        Fits(buffers, layout.RunningVarianceOffset, layout.Filters, "running variance");
        Layout = layout;
    }

    /// <summary>Where this layer's parameters and buffers lie in their blocks, and its shapes.</summary>
    public Conv2dLayout Layout { get; }
    /// <summary>The layer's filters: its output channels.</summary>
    public int Filters => Layout.Filters;

    /// <summary>W as [F, C, K, K], row-major (PyTorch's layout).</summary>
    public ReadOnlySpan<float> Weights => View(Parameters, Layout.WeightsOffset, Layout.WeightCount);
    /// <summary>b [F]; empty for a batch-norm layer.</summary>
    public ReadOnlySpan<float> Bias => View(Parameters, Layout.BiasOffset, Layout.Filters);
    /// <summary>Batch norm's per-channel scale γ [F]; empty without batch norm.</summary>
    public ReadOnlySpan<float> Gamma => View(Parameters, Layout.GammaOffset, Layout.Filters);
    /// <summary>Batch norm's per-channel shift β [F]; empty without batch norm.</summary>
    public ReadOnlySpan<float> Beta => View(Parameters, Layout.BetaOffset, Layout.Filters);
    /// <summary>Batch norm's running mean per channel [F]; empty without batch norm.</summary>
    public ReadOnlySpan<float> RunningMean => View(Buffers, Layout.RunningMeanOffset, Layout.Filters);
    /// <summary>Batch norm's running variance per channel [F]; empty without batch norm.</summary>
    public ReadOnlySpan<float> RunningVariance => View(Buffers, Layout.RunningVarianceOffset, Layout.Filters);

    /// <summary>The layer's shapes and offset, for diagnostics.</summary>
    public override string ToString() => $"Conv2d {Describe(Layout)} at {Layout.WeightsOffset}";

    private static string Describe(Conv2dLayout l) =>
        $"[{l.Channels}, {l.Height}, {l.Width}] ∗ {l.Filters}×{l.Kernel}×{l.Kernel} stride {l.Stride} padding {l.Padding}" +
        (l.Pooling == PoolingKind.None ? "" : $", {l.Pooling} pool {l.PoolSize} stride {l.PoolStride}") + $" → [{l.Filters}, {l.OutputHeight}, {l.OutputWidth}]";
}
