// A dense layer's parameters: a named, read-only view of W, b (and γ, β, PReLU slopes, BN statistics) in the network's blocks.
namespace Functional;

/// <summary>
/// Where one dense layer's pieces sit: W [Inputs, Width] and then, when present, b [Width], γ and β [Width]
/// (batch norm, which replaces b), PReLU slopes [SlopeCount] in the parameter block; the batch-norm running mean
/// and variance [Width] in the buffer block. Width = Outputs × Pieces (Maxout's k, else 1). Absent parts have offset −1.
/// </summary>
public readonly record struct DenseLayout(
    int Inputs, int Outputs, int Pieces, int WeightsOffset, int BiasOffset = -1, int GammaOffset = -1, int BetaOffset = -1,
    int SlopeOffset = -1, int SlopeCount = 0, int RunningMeanOffset = -1, int RunningVarianceOffset = -1)
{
    /// <summary>Columns of W: <c>Outputs × Pieces</c> (a maxout layer has <c>Pieces</c> columns per unit).</summary>
    public int Width => Outputs * Pieces;
    /// <summary>Floats in W: <c>Inputs × Width</c>.</summary>
    public int WeightCount => Inputs * Width;

    /// <summary>A plain layer: W then b.</summary>
    public static DenseLayout Plain(int offset, int inputs, int outputs) => new(inputs, outputs, 1, offset, offset + inputs * outputs);
}

/// <summary>
/// The parameters of one dense layer, as read-only views into the network's contiguous blocks. Training never
/// changes a model it was given; it returns a new one.
/// </summary>
public sealed class Dense : LayerParameters
{
    /// <summary>A plain layer (W at <paramref name="offset"/> followed by b) inside <paramref name="block"/>.</summary>
    public Dense(float[] block, int offset, int inputs, int outputs) : this(block, [], DenseLayout.Plain(offset, inputs, outputs)) { }

    /// <summary>A layer laid out by <paramref name="layout"/> in <paramref name="parameters"/> and <paramref name="buffers"/>.</summary>
    public Dense(float[] parameters, float[] buffers, DenseLayout layout) : base(parameters, buffers)
    {
        if (layout.Inputs <= 0 || layout.Outputs <= 0 || layout.Pieces <= 0)
            throw new ArgumentOutOfRangeException(nameof(layout), $"a dense layer needs positive widths, got {layout.Inputs} → {layout.Outputs}×{layout.Pieces}");
        Fits(parameters, layout.WeightsOffset, layout.WeightCount, "W");
        Fits(parameters, layout.BiasOffset, layout.Width, "b");
        Fits(parameters, layout.GammaOffset, layout.Width, "γ");
        Fits(parameters, layout.BetaOffset, layout.Width, "β");
        Fits(parameters, layout.SlopeOffset, layout.SlopeCount, "PReLU slope");
        Fits(buffers, layout.RunningMeanOffset, layout.Width, "running mean");
        Fits(buffers, layout.RunningVarianceOffset, layout.Width, "running variance");
        Layout = layout;
    }

    /// <summary>Where this layer's parameters and buffers lie in their blocks.</summary>
    public DenseLayout Layout { get; }
    /// <summary>Where this layer's W starts in the parameter block.</summary>
    public int Offset => Layout.WeightsOffset;
    /// <summary>The layer's input width.</summary>
    public int Inputs => Layout.Inputs;
    /// <summary>The layer's output width (units, after maxout's pieces are reduced).</summary>
    public int Outputs => Layout.Outputs;

    /// <summary>W as [Inputs, Width], row-major.</summary>
    public ReadOnlySpan<float> Weights => Parameters.AsSpan(Layout.WeightsOffset, Layout.WeightCount);
    /// <summary>b [Width]; empty for a batch-norm layer.</summary>
    public ReadOnlySpan<float> Bias => View(Parameters, Layout.BiasOffset, Layout.Width);
    /// <summary>Batch norm's scale γ [Width]; empty without batch norm.</summary>
    public ReadOnlySpan<float> Gamma => View(Parameters, Layout.GammaOffset, Layout.Width);
    /// <summary>Batch norm's shift β [Width]; empty without batch norm.</summary>
    public ReadOnlySpan<float> Beta => View(Parameters, Layout.BetaOffset, Layout.Width);
    /// <summary>PReLU's learned slopes (one per unit, or one shared); empty for other activations.</summary>
    public ReadOnlySpan<float> Slope => View(Parameters, Layout.SlopeOffset, Layout.SlopeCount);
    /// <summary>Batch norm's running mean [Width], used by inference; empty without batch norm.</summary>
    public ReadOnlySpan<float> RunningMean => View(Buffers, Layout.RunningMeanOffset, Layout.Width);
    /// <summary>Batch norm's running variance [Width], used by inference; empty without batch norm.</summary>
    public ReadOnlySpan<float> RunningVariance => View(Buffers, Layout.RunningVarianceOffset, Layout.Width);

    /// <summary>The layer's shape and offset, for diagnostics.</summary>
    public override string ToString() => $"Dense {Inputs} → {Outputs}{(Layout.Pieces > 1 ? $"×{Layout.Pieces}" : "")} at {Offset}";
}
