// The derived shape of a network: each layer's piece, tensor shapes, block offsets, and how its code is staged.
using System.Collections.Generic;
using Functional.Generators.Kinds;
using Functional.Generators.Kinds.Activations;
using Functional.Generators.Kinds.Layers;
using Functional.Generators.Model;

namespace Functional.Generators.Emitting;

/// <summary>The network's layers with everything the emitter derives from the declaration.</summary>
internal sealed class NetworkShape
{
    public NetworkShape(NetworkSpec spec)
    {
        Spec = spec;
        // Missing widths count as 0, so the checker can ask an unfinished declaration which names it would generate.
        Input = InputOf(spec);
        var shape = Input;
        int parameters = 0, buffers = 0;
        for (int i = 0; i < spec.Layers.Length; i++)
        {
            var layer = new LayerShape(spec.Layers[i], i, shape, i == spec.Layers.Length - 1, ref parameters, ref buffers);
            Layers.Add(layer);
            shape = layer.Output;
        }
        ParameterCount = parameters;
        BufferCount = buffers;
        // An unfinished declaration without a (known) loss is only shaped to list the names it would generate, which no
        // loss changes: it reads as the first.
        Loss = Registry.LossNamed(Layers.Count == 0 ? null : Last.Spec.Loss) ?? Registry.Losses[0];
    }

    /// <summary>The declared input: the image Channels × Height × Width when all three are given, else a vector of Inputs (missing: 0).</summary>
    public static TensorShape InputOf(NetworkSpec spec) =>
        spec.Image is { Channels: int c, Height: int h, Width: int w }
            ? new TensorShape(System.Math.Max(0, c), System.Math.Max(0, h), System.Math.Max(0, w))
            : TensorShape.Flat(spec.Inputs ?? 0);

    /// <summary>
    /// Floats the workspace holds per batch row: the gathered input, every per-row buffer the layers declare, the scores
    /// and their gradient. What "activation memory" means in FN0039 (× batch × 4 bytes).
    /// </summary>
    public long ActivationFloatsPerSample
    {
        get
        {
            long total = Inputs + 2L * Classes;
            foreach (var l in Layers)
                l.Kind.EmitBuffers(l, (member, size, doc, perRow, type) =>
                {
                    if (perRow) total += long.Parse(size, System.Globalization.CultureInfo.InvariantCulture);
                });
            return total;
        }
    }

    public NetworkSpec Spec { get; }
    public string Name => Spec.Name;
    public TensorShape Input { get; }
    /// <summary>Input values per sample.</summary>
    public int Inputs => Input.Size;
    public int ParameterCount { get; }
    public int BufferCount { get; }
    public List<LayerShape> Layers { get; } = [];
    public LayerShape Last => Layers[Layers.Count - 1];
    public int Classes => Last.Outputs;
    public Loss Loss { get; }
}

/// <summary>
/// One layer: its kind, shapes and offsets, and how its activation, batch norm and dropout are arranged around its
/// product. "Fused" layers (a pointwise activation, no batch norm, no dropout) run as one product with the bias and
/// activation in its store, and their derivative rides in the store of the product above. Every other layer is
/// "staged": product, then separate passes for batch norm, the activation and dropout.
/// </summary>
internal sealed class LayerShape
{
    public LayerShape(LayerSpec spec, int index, TensorShape input, bool isLast, ref int parameterOffset, ref int bufferOffset)
    {
        Spec = spec;
        Index = index;
        IsLast = isLast;
        // A parameter without a layer attribute (the checker's names of an unfinished declaration) reads as the first kind.
        Kind = Registry.LayerNamed(spec.Kind) ?? Registry.Layers[0];
        // An activation no piece knows (FN0013) reads as none, for the same reason.
        Activation = Registry.ActivationNamed(spec.Activation?.Kind);
        Input = input;
        Output = Kind.OutputShape(spec, input);
        Pieces = Activation?.Pieces(spec.Activation!) ?? 1;
        SlopeCount = Activation?.Slopes(spec.Activation!, Outputs) ?? 0;
        if (Conv is not null) Convolved = Kinds.Layers.Conv2d.ConvOutput(spec, input);
        WeightsOffset = parameterOffset;
        parameterOffset += WeightCount;
        if (HasBias) { BiasOffset = parameterOffset; parameterOffset += Width; }
        if (BatchNorm is not null)
        {
            GammaOffset = parameterOffset; parameterOffset += Width;
            BetaOffset = parameterOffset; parameterOffset += Width;
            RunningMeanOffset = bufferOffset; bufferOffset += Width;
            RunningVarianceOffset = bufferOffset; bufferOffset += Width;
        }
        if (HasSlopes) { SlopeOffset = parameterOffset; parameterOffset += SlopeCount; }
    }

    public LayerSpec Spec { get; }
    public LayerKind Kind { get; }
    public int Index { get; }
    public string Name => Spec.Name;
    public TensorShape Input { get; }
    public TensorShape Output { get; }
    /// <summary>Input values per sample (a dense layer's fan-in: the input flattened).</summary>
    public int Inputs => Input.Size;
    /// <summary>Output values per sample: a dense layer's units.</summary>
    public int Outputs => Output.Size;
    /// <summary>Maxout's k, else 1.</summary>
    public int Pieces { get; }
    /// <summary>The product's output width: units × pieces; a convolution's filters (the width of its b, γ and β).</summary>
    public int Width => Conv is { } c ? System.Math.Max(0, c.Filters) : Outputs * Pieces;

    /// <summary>The convolution's sizes, or null for a dense layer.</summary>
    public ConvSpec? Conv => Kind is Kinds.Layers.Conv2d ? Spec.Conv : null;
    /// <summary>The pooling after a convolution's activation, or null.</summary>
    public PoolSpec? Pool => Conv is null ? null : Spec.Pool;
    /// <summary>A convolution's output before pooling (F × OH × OW); its output when there is no pooling.</summary>
    public TensorShape Convolved { get; }
    /// <summary>C·K·K: a filter's weights, the convolution's fan-in.</summary>
    public int PatchSize => Conv is { } c ? Input.Channels * c.Kernel * c.Kernel : Inputs;
    /// <summary>Floats in W: inputs × width for a dense layer, F·C·K·K for a convolution.</summary>
    public int WeightCount => Conv is not null ? Width * PatchSize : Inputs * Width;
    /// <summary>W's size as the generated code writes it: "784 * 256", or "16 * 25" (filters × C·K·K).</summary>
    public string WeightCountText => Conv is not null ? $"{Code.N(Width)} * {Code.N(PatchSize)}" : $"{Code.N(Inputs)} * {Code.N(Width)}";
    /// <summary>Parameters of the layer (W, b or γ and β, slopes).</summary>
    public long ParameterTotal => Kind.ParameterCount(Spec, Input);
    /// <summary>The forward product's FLOPs per sample.</summary>
    public long Flops => Kind.Flops(Spec, Input);
    public bool IsFirst => Index == 0;
    public bool IsLast { get; }

    /// <summary>The activation's piece; null for a linear layer.</summary>
    public Activation? Activation { get; }
    public ActivationSpec? ActivationSpec => Activation is null ? null : Spec.Activation;
    public string ActivationLabel => Activation?.Label(Spec.Activation!) ?? "linear";
    public BatchNormSpec? BatchNorm => Spec.BatchNorm;
    public float? Dropout => Spec.Dropout;
    /// <summary>A pointwise activation (or none): its forward can ride in a product's or batch norm's store.</summary>
    public bool IsPointwise => Activation is null || Activation.Derivative != Derivative.OwnPass;
    /// <summary>An activation whose derivative reads its input z (GELU, SiLU), which the layer therefore keeps.</summary>
    public bool KeepsInput => Activation?.Derivative == Derivative.FromInput;
    /// <summary>An activation with passes of its own after the product (PReLU, Maxout).</summary>
    public bool HasOwnPass => Activation?.Derivative == Derivative.OwnPass;
    /// <summary>
    /// One product with bias and activation in its store, whose derivative the layer above applies. A convolution also
    /// needs no pooling and an activation whose derivative reads its output (the convolution kernel keeps no z).
    /// </summary>
    public bool IsFused => IsPointwise && BatchNorm is null && Dropout is null && (Conv is null || Pool is null && !KeepsInput);
    /// <summary>
    /// Staged only for its dropout: with p = 0 at run time it runs as a fused layer (the product writes y, the layer
    /// above fuses its derivative), so a trial that turns dropout off pays nothing for it.
    /// </summary>
    public bool IsDropoutOnly => Conv is null && IsPointwise && BatchNorm is null && Dropout is not null;
    /// <summary>Whether the activation has a run-time parameter (leaky ReLU's slope, ELU's α) its kernels take as a value.</summary>
    public bool HasActivationParameter => Activation?.Number is not null;
    /// <summary>Batch norm's β replaces the bias, which would only be subtracted out again.</summary>
    public bool HasBias => BatchNorm is null;
    /// <summary>The product's store applies the activation (and adds the bias): no batch norm between them, and pointwise.</summary>
    public bool ActivationInProduct => IsPointwise && BatchNorm is null;
    /// <summary>
    /// The product z is kept: when batch norm or an own-pass activation reads it, or when the activation's derivative
    /// needs its input.
    /// </summary>
    public bool NeedsZ => !ActivationInProduct || KeepsInput;
    /// <summary>The batch-normalised value needs its own buffer when the activation after it reads it again (own pass, or derivative from the input).</summary>
    public bool NeedsSeparateU => BatchNorm is not null && (HasOwnPass || KeepsInput);
    /// <summary>Learned slopes of the activation in the parameter block (PReLU's).</summary>
    public bool HasSlopes => SlopeCount > 0;
    public int SlopeCount { get; }

    public int WeightsOffset { get; }
    public int BiasOffset { get; } = -1;
    public int GammaOffset { get; } = -1;
    public int BetaOffset { get; } = -1;
    public int SlopeOffset { get; } = -1;
    public int RunningMeanOffset { get; } = -1;
    public int RunningVarianceOffset { get; } = -1;

    /// <summary>The declared init, or the activation's natural one.</summary>
    public InitKind Init => Spec.Init != InitKind.Default ? Spec.Init : Activation?.DefaultInit ?? InitKind.Xavier;

    /// <summary>The runtime activation struct pointwise kernels are instantiated with (Identity for none, or one with passes of its own).</summary>
    public string ActivationType => IsPointwise && Activation is not null ? Activation.KernelType : $"{Code.Kernels}.Identity";

    /// <summary>
    /// The activation as a value built from the layer's run-time hyperparameters <paramref name="h"/> (an expression of type
    /// LayerHyperparameters), or null when it has no parameter and the kernel's type argument says it all.
    /// </summary>
    public string? ActivationValue(string h) => IsPointwise ? Activation?.Value(h) : null;

    /// <summary>The layer's property as a C# identifier (a keyword such as 'class' needs its @).</summary>
    public string Identifier => Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(Name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + Name : Name;
}
