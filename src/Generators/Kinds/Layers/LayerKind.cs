// What every layer kind tells the generator: its attribute and parameter type, its checks and shape, and its part of each generated member.
using System.Collections.Generic;
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;
using static Functional.Generators.Emitting.Code;
using static Functional.Generators.Emitting.GeneratedMembers;

namespace Functional.Generators.Kinds.Layers;

/// <summary>Whether a forward pass trains (batch statistics, dropout) or infers.</summary>
internal enum Mode { Training, Inference }

/// <summary>
/// One kind of layer (dense today; convolution and pooling next). The network-level <see cref="Emitter"/> writes the
/// record's frame — layout, construction, workspace class, inference loop, training step, reference — and asks each
/// layer's kind for its part of each, in declaration order. Shapes are <see cref="TensorShape"/>s: a kind reads the
/// shape it is given and says what it produces, so a convolution can follow an image input and a dense layer flattens
/// whatever it is given.
/// </summary>
internal abstract class LayerKind
{
    /// <summary>The attribute's short name (<c>Dense</c>).</summary>
    public abstract string Name { get; }
    /// <summary>The attribute's metadata name (<c>Functional.Dsl.DenseAttribute</c>).</summary>
    public abstract string Attribute { get; }
    /// <summary>The type the record's parameter must have (<c>Functional.Dense</c>).</summary>
    public abstract string ParameterType { get; }

    // ── Parse and check ──────────────────────────────────────────────────────────────────────────

    /// <summary>Reads the kind's attribute into the layer being parsed; half-typed arguments keep their defaults.</summary>
    public abstract void Read(AttributeData attribute, LayerBuilder layer);

    /// <summary>
    /// The rules on the kind's own arguments, given the shape it receives; <paramref name="shapes"/> is the inferred
    /// shapes up to this layer ("input [1, 28, 28] → Conv1 [16, 14, 14] → Conv2 ✗"), which shape diagnostics show.
    /// </summary>
    public abstract void Check(LayerSpec layer, TensorShape input, string shapes, Report report);

    /// <summary>The shape the layer produces from <paramref name="input"/> (its arguments may still be missing: they count as 0).</summary>
    public abstract TensorShape OutputShape(LayerSpec layer, TensorShape input);

    /// <summary>Parameters the layer needs, in 64-bit arithmetic so absurd sizes are reported rather than overflowing.</summary>
    public abstract long ParameterCount(LayerSpec layer, TensorShape input);

    /// <summary>The forward product's floating-point operations per sample (multiply-adds × 2; pointwise passes and pooling are not counted).</summary>
    public abstract long Flops(LayerSpec layer, TensorShape input);

    /// <summary>The rules every kind with weights shares: a SmallRandom std and a bias init that make sense, and the zeros warning.</summary>
    protected static void CheckInit(LayerSpec layer, Report report)
    {
        if (layer.Init == InitKind.SmallRandom && (!(layer.InitStd > 0) || float.IsInfinity(layer.InitStd)))
            report(Diagnostics.BadConstant, layer.Location, layer.Name, "InitStd", Code.Number(layer.InitStd), "a positive number");
        if (float.IsNaN(layer.BiasInit) || float.IsInfinity(layer.BiasInit))
            report(Diagnostics.BadConstant, layer.Location, layer.Name, "BiasInit", Code.Number(layer.BiasInit), "a finite number");
        if (layer.Init == InitKind.Zeros)
            report(Diagnostics.ZerosInit, layer.Location, layer.Name);
    }

    /// <summary>Reads Init, InitStd and BiasInit, named arguments every kind with weights takes.</summary>
    protected static void ReadInit(AttributeData attribute, LayerBuilder layer)
    {
        foreach (var named in attribute.NamedArguments)
        {
            // An Init cast from a number no member has is left at the default here and reported as FN0027.
            if (named.Key == "Init" && named.Value.Value is int i && System.Enum.IsDefined(typeof(InitKind), i)) layer.Init = (InitKind)i;
            if (named.Key == "InitStd" && named.Value.Value is float std) layer.InitStd = std;
            if (named.Key == "BiasInit" && named.Value.Value is float bias) layer.BiasInit = bias;
        }
    }

    // ── Emit ─────────────────────────────────────────────────────────────────────────────────────

    /// <summary>The description line's words for the layer ("dense 784 → 256, ReLU").</summary>
    public abstract string Describe(LayerShape l);
    /// <summary>The layer's offset constants into the parameter and buffer blocks.</summary>
    public abstract void EmitOffsets(SourceWriter w, LayerShape l);
    /// <summary>The offset constants of W (of shape <paramref name="weights"/>), b or batch norm's γ, β and running statistics [width].</summary>
    protected static void EmitTensorOffsets(SourceWriter w, LayerShape l, string weights, string perChannel)
    {
        w.Line($"private const int {w.Declare(Weights, l)} = {N(l.WeightsOffset)}; // W {weights}");
        if (l.HasBias) w.Line($"private const int {w.Declare(Bias, l)} = {N(l.BiasOffset)}; // b [{l.Width}]");
        if (l.BatchNorm is null) return;
        w.Line($"private const int {w.Declare(Gamma, l)} = {N(l.GammaOffset)}; // γ [{l.Width}]{perChannel}");
        w.Line($"private const int {w.Declare(Beta, l)} = {N(l.BetaOffset)}; // β [{l.Width}]");
        w.Line($"private const int {w.Declare(RunningMean, l)} = {N(l.RunningMeanOffset)}; // buffer: running mean [{l.Width}]");
        w.Line($"private const int {w.Declare(RunningVariance, l)} = {N(l.RunningVarianceOffset)}; // buffer: running variance [{l.Width}]");
    }

    /// <summary>The C# expression of the layer's runtime layout (where its tensors lie in the blocks).</summary>
    public abstract string Layout(LayerShape l);
    /// <summary>The C# expression constructing the layer's property value over the blocks <c>parameters</c> and <c>buffers</c>.</summary>
    public abstract string View(LayerShape l);
    /// <summary>Init's lines filling the layer's parameters.</summary>
    public abstract void EmitInit(SourceWriter w, LayerShape l);
    /// <summary>The workspace buffers the layer needs, declared through <paramref name="buffer"/>.</summary>
    public abstract void EmitBuffers(LayerShape l, WorkspaceBuffer buffer);
    /// <summary>The layer's forward/backward pair (or training/inference forwards and a backward).</summary>
    public abstract void EmitPair(SourceWriter w, NetworkShape net, LayerShape l);
    // The calls the inference loop and the training step make, and what they pass: the same for every kind whose
    // forward and backward take the arguments a dense layer's take (dense, convolution). A kind that differs overrides.

    /// <summary>Whether the layer's forward (training or inference) reads its run-time hyperparameters.</summary>
    protected static bool ForwardNeedsH(LayerShape l, Mode mode) =>
        l.HasActivationParameter || l.BatchNorm is not null || mode == Mode.Training && l.Dropout is not null;

    /// <summary>Whether the layer's backward reads its own run-time hyperparameters (dropout p, the activation's parameter in its own pass).</summary>
    protected static bool BackwardNeedsH(LayerShape l) => !l.IsFused && (l.Dropout is not null || l.IsPointwise && l.HasActivationParameter);

    /// <summary>Whether a backward must know the layer below's hyperparameters: to fuse its activation's parameter, or to fuse it at all (dropout p = 0).</summary>
    protected static bool NeedsBelow(LayerShape below) => below.IsFused ? below.HasActivationParameter : below.IsDropoutOnly;

    /// <summary>Whether the backward above fuses the layer's derivative from its kept input z (GELU, SiLU: fused, or staged only for dropout).</summary>
    protected static bool FusesInput(LayerShape below) => below.KeepsInput && (below.IsFused || below.IsDropoutOnly);

    /// <summary>Whether the layer's forward reads its run-time hyperparameters.</summary>
    public virtual bool ForwardReads(LayerShape l, Mode mode) => ForwardNeedsH(l, mode);

    /// <summary>Whether the training step reads the layer's run-time hyperparameters anywhere (forward, backward, the loss gradient).</summary>
    public virtual bool TrainingReads(LayerShape l) =>
        ForwardNeedsH(l, Mode.Training) || BackwardNeedsH(l) || l.IsLast && l.IsFused && l.HasActivationParameter;

    /// <summary>The call of the layer's forward from <paramref name="input"/> into <paramref name="output"/>.</summary>
    public virtual string ForwardCall(LayerShape l, string input, string output, Mode mode)
    {
        string h = ForwardNeedsH(l, mode) && !(l.IsFused && !l.HasActivationParameter) ? $", h[{N(l.Index)}]" : "";
        return l.IsFused
            ? $"{Forward.Of(l)}(parameters, {input}, {(l.KeepsInput ? $"workspace.{Z.Of(l)}, " : "")}{output}, n{h});"
            : mode == Mode.Training
                ? $"{ForwardTraining.Of(l)}(parameters, buffers, {input}, {output}, workspace, n, options.DropoutSeed{h});"
                : $"{ForwardInference.Of(l)}(parameters, buffers, {input}, {output}, workspace, n{h});";
    }

    /// <summary>The training step's line turning ∂loss/∂scores into ∂loss/∂ of what the last layer's backward takes, or null.</summary>
    public virtual string? ScoresDerivative(LayerShape last) => last.IsFused && last.Activation is not null
        ? WithActivation($"{Kernels}.ActivationPass.BackwardInPlace", last,
            $"{Span("dScores", "0", "n * ClassCount")}, {(last.KeepsInput ? $"workspace.{Z.Of(last)}" : "scores")}", $"h[{N(last.Index)}]") + ";"
        : null;

    /// <summary>The buffer the layer above writes this layer's gradient into (of its output, or of its pre-activation when fused).</summary>
    public virtual string GradientBuffer(LayerShape l) => l.IsFused ? $"workspace.{Gradient.Of(l)}" : $"workspace.{OutputGradient.Of(l)}";

    /// <summary>The call of the layer's backward in the training step.</summary>
    public virtual string BackwardCall(NetworkShape net, LayerShape l)
    {
        var below = l.IsFirst ? null : net.Layers[l.Index - 1];
        var args = new List<string> { "parameters", "gradient" };
        if (!l.IsFused) args.Add("workspace");
        args.Add(below is null ? "x" : $"workspace.{Output.Of(below)}");
        args.Add(l.IsLast ? "dScores" : GradientBuffer(l));
        if (below is not null)
        {
            args.Add(below.Kind.GradientBuffer(below));
            if (FusesInput(below)) args.Add($"workspace.{Z.Of(below)}");
        }
        args.Add("n");
        args.Add("options.L2");
        args.Add("update");
        if (BackwardNeedsH(l)) args.Add($"h[{N(l.Index)}]");
        if (below is not null && NeedsBelow(below)) args.Add($"h[{N(below.Index)}]");
        return $"{Backward.Of(l)}({string.Join(", ", args)});";
    }

    /// <summary>The reference's lines computing <paramref name="v"/> from <paramref name="input"/> in double precision.</summary>
    public abstract void EmitReference(SourceWriter w, LayerShape l, string input, string v);
    /// <summary>Whether the reference reads the layer's run-time hyperparameters.</summary>
    public virtual bool ReferenceReads(LayerShape l) => l.BatchNorm is not null || l.HasActivationParameter || l.Dropout is not null;
}
