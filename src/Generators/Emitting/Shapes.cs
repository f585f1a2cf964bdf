// The derived shape of a valid network: each layer's widths, block offsets, buffers and how its code is staged.
using System.Collections.Generic;
using System.Globalization;
using Functional.Generators.Model;

namespace Functional.Generators.Emitting;

/// <summary>The network's layers with everything the emitter derives from the declaration.</summary>
internal sealed class NetworkShape
{
    public NetworkShape(NetworkSpec spec)
    {
        Spec = spec;
        // Missing widths count as 0, so the checker can ask an unfinished declaration which names it would generate.
        Inputs = spec.Inputs ?? 0;
        int fanIn = Inputs, parameters = 0, buffers = 0;
        for (int i = 0; i < spec.Layers.Length; i++)
        {
            var layer = new LayerShape(spec.Layers[i], i, fanIn, i == spec.Layers.Length - 1, ref parameters, ref buffers);
            Layers.Add(layer);
            fanIn = layer.Outputs;
        }
        ParameterCount = parameters;
        BufferCount = buffers;
    }

    public NetworkSpec Spec { get; }
    public string Name => Spec.Name;
    public int Inputs { get; }
    public int ParameterCount { get; }
    public int BufferCount { get; }
    public List<LayerShape> Layers { get; } = [];
    public LayerShape Last => Layers[Layers.Count - 1];
    public int Classes => Last.Outputs;
    public string Loss => Last.Spec.Loss!;
}

/// <summary>
/// One layer. "Fused" layers (a pointwise activation, no batch norm, no dropout) run as one product with the
/// bias and activation in its epilogue, and their derivative rides in the epilogue of the product above.
/// Every other layer is "staged": product, then separate passes for batch norm, PReLU/Maxout and dropout.
/// </summary>
internal sealed class LayerShape
{
    public LayerShape(LayerSpec spec, int index, int inputs, bool isLast, ref int parameterOffset, ref int bufferOffset)
    {
        Spec = spec;
        Index = index;
        Inputs = inputs;
        IsLast = isLast;
        Outputs = spec.Units ?? 0;
        Pieces = spec.Activation?.Kind == "Maxout" ? spec.Activation.Pieces : 1;
        WeightsOffset = parameterOffset;
        parameterOffset += Inputs * Width;
        if (HasBias) { BiasOffset = parameterOffset; parameterOffset += Width; }
        if (BatchNorm is not null)
        {
            GammaOffset = parameterOffset; parameterOffset += Width;
            BetaOffset = parameterOffset; parameterOffset += Width;
            RunningMeanOffset = bufferOffset; bufferOffset += Width;
            RunningVarianceOffset = bufferOffset; bufferOffset += Width;
        }
        if (IsPRelu) { SlopeOffset = parameterOffset; parameterOffset += SlopeCount; }
    }

    public LayerSpec Spec { get; }
    public int Index { get; }
    public string Name => Spec.Name;
    public int Inputs { get; }
    /// <summary>Units: the layer's output width.</summary>
    public int Outputs { get; }
    /// <summary>Maxout's k, else 1.</summary>
    public int Pieces { get; }
    /// <summary>The product's output width: units × pieces.</summary>
    public int Width => Outputs * Pieces;
    public bool IsFirst => Index == 0;
    public bool IsLast { get; }

    public ActivationSpec? Activation => Spec.Activation;
    public BatchNormSpec? BatchNorm => Spec.BatchNorm;
    public float? Dropout => Spec.Dropout;
    public bool IsPRelu => Activation?.Kind == "PRelu";
    public bool IsMaxout => Activation?.Kind == "Maxout";
    public bool IsPointwise => Catalog.IsPointwise(Activation?.Kind);
    public bool IsFused => IsPointwise && BatchNorm is null && Dropout is null;
    /// <summary>
    /// Staged only for its dropout: with p = 0 at run time it runs as a fused layer (the product writes y, the layer
    /// above fuses its derivative), so a trial that turns dropout off pays nothing for it.
    /// </summary>
    public bool IsDropoutOnly => IsPointwise && BatchNorm is null && Dropout is not null;
    /// <summary>Whether the activation has a run-time parameter (leaky ReLU's slope, ELU's α) its kernels take as a value.</summary>
    public bool HasActivationParameter => Activation?.Kind is "LeakyRelu" or "Elu";
    /// <summary>Batch norm's β replaces the bias, which would only be subtracted out again.</summary>
    public bool HasBias => BatchNorm is null;
    /// <summary>The raw product must be kept when something other than a pointwise activation reads it.</summary>
    public bool NeedsZ => BatchNorm is not null || IsPRelu || IsMaxout;
    /// <summary>PReLU and Maxout read the batch-normalised value, so it needs its own buffer.</summary>
    public bool NeedsSeparateU => BatchNorm is not null && (IsPRelu || IsMaxout);
    public int SlopeCount => IsPRelu ? (Activation!.Shared ? 1 : Outputs) : 0;

    public int WeightsOffset { get; }
    public int BiasOffset { get; } = -1;
    public int GammaOffset { get; } = -1;
    public int BetaOffset { get; } = -1;
    public int SlopeOffset { get; } = -1;
    public int RunningMeanOffset { get; } = -1;
    public int RunningVarianceOffset { get; } = -1;

    /// <summary>The declared init, or the activation's natural one.</summary>
    public InitKind Init => Spec.Init != InitKind.Default ? Spec.Init : Catalog.IsReluFamily(Activation?.Kind) ? InitKind.He : InitKind.Xavier;

    /// <summary>The runtime activation struct the kernels are instantiated with (Identity for staged PReLU/Maxout).</summary>
    public string ActivationType => Activation?.Kind switch
    {
        null or "PRelu" or "Maxout" => "global::Functional.Kernels.Identity",
        var kind => $"global::Functional.Kernels.{kind}",
    };

    /// <summary>
    /// The activation as a value built from the layer's run-time hyperparameters <paramref name="h"/> (an expression of type
    /// LayerHyperparameters), or null when it has no parameter and the kernel's type argument says it all.
    /// </summary>
    public string? ActivationValue(string h) => Activation?.Kind switch
    {
        "LeakyRelu" => $"new global::Functional.Kernels.LeakyRelu({h}.LeakySlope)",
        "Elu" => $"new global::Functional.Kernels.Elu({h}.EluAlpha)",
        _ => null,
    };

    /// <summary>The layer's property as a C# identifier (a keyword such as 'class' needs its @).</summary>
    public string Identifier => Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(Name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + Name : Name;

    /// <summary>The C# expression constructing this layer's DenseLayout.</summary>
    public string DenseLayout
    {
        get
        {
            string n(int v) => v.ToString(CultureInfo.InvariantCulture);
            return $"new global::Functional.DenseLayout({n(Inputs)}, {n(Outputs)}, {n(Pieces)}, {n(WeightsOffset)}, {n(BiasOffset)}, {n(GammaOffset)}, {n(BetaOffset)}, {n(SlopeOffset)}, {n(SlopeCount)}, {n(RunningMeanOffset)}, {n(RunningVarianceOffset)})";
        }
    }
}
