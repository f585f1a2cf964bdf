// What every layer kind tells the generator: its attribute and parameter type, its checks and shape, and its part of each generated member.
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;

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

    /// <summary>The rules on the kind's own arguments, given the shape it receives.</summary>
    public abstract void Check(LayerSpec layer, TensorShape input, Report report);

    /// <summary>The shape the layer produces from <paramref name="input"/> (its arguments may still be missing: they count as 0).</summary>
    public abstract TensorShape OutputShape(LayerSpec layer, TensorShape input);

    /// <summary>Parameters the layer needs, in 64-bit arithmetic so absurd sizes are reported rather than overflowing.</summary>
    public abstract long ParameterCount(LayerSpec layer, TensorShape input);

    // ── Emit ─────────────────────────────────────────────────────────────────────────────────────

    /// <summary>The description line's words for the layer ("dense 784 → 256, ReLU").</summary>
    public abstract string Describe(LayerShape l);
    /// <summary>The layer's offset constants into the parameter and buffer blocks.</summary>
    public abstract void EmitOffsets(SourceWriter w, LayerShape l);
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
    /// <summary>The call of the layer's forward from <paramref name="input"/> into <paramref name="output"/>.</summary>
    public abstract string ForwardCall(LayerShape l, string input, string output, Mode mode);
    /// <summary>Whether the layer's forward reads its run-time hyperparameters.</summary>
    public abstract bool ForwardReads(LayerShape l, Mode mode);
    /// <summary>Whether the training step reads the layer's run-time hyperparameters anywhere (forward, backward, the loss gradient).</summary>
    public abstract bool TrainingReads(LayerShape l);
    /// <summary>The training step's line turning ∂loss/∂scores into ∂loss/∂ of what the last layer's backward takes, or null.</summary>
    public abstract string? ScoresDerivative(LayerShape last);
    /// <summary>The call of the layer's backward in the training step.</summary>
    public abstract string BackwardCall(NetworkShape net, LayerShape l);
    /// <summary>The buffer the layer above writes this layer's gradient into (of its output, or of its pre-activation when fused).</summary>
    public abstract string GradientBuffer(LayerShape l);
    /// <summary>The reference's lines computing <paramref name="v"/> from <paramref name="input"/> in double precision.</summary>
    public abstract void EmitReference(SourceWriter w, LayerShape l, string input, string v);
    /// <summary>Whether the reference reads the layer's run-time hyperparameters.</summary>
    public abstract bool ReferenceReads(LayerShape l);
}
