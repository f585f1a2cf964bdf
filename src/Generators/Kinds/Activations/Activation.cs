// What every activation piece tells the generator: how it is parsed and checked, what its derivative needs, and how it is emitted.
using System.Linq;
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Kinds.Activations;

/// <summary>What an activation's derivative is computed from, which decides what its layer keeps and where its code goes.</summary>
internal enum Derivative
{
    /// <summary>
    /// From the output y (ReLU, sigmoid, tanh, leaky ReLU, ELU: z is recoverable from y): the activation rides in the
    /// product's store and its derivative in the store of the product above, and nothing but y is kept.
    /// </summary>
    FromOutput,
    /// <summary>
    /// From the input z (GELU, SiLU: not monotone, so y does not determine z): fused the same way, but the product
    /// also stores z, which its derivative reads.
    /// </summary>
    FromInput,
    /// <summary>Not pointwise (PReLU's learned slopes, Maxout's pieces): passes of its own after the product, reading the kept z.</summary>
    OwnPass,
}

/// <summary>When a weight initialisation does not suit an activation (FN0019), and why.</summary>
internal sealed record InitAdvice(InitKind[] Unsuited, bool EvenWithBatchNorm, string Why)
{
    public static readonly InitAdvice Saturating = new([InitKind.He, InitKind.HeUniform], EvenWithBatchNorm: true,
        "He's doubled variance pushes a saturating unit into its flat tails, where gradients vanish; use Xavier");

    public static readonly InitAdvice HalvesVariance = new([InitKind.Xavier, InitKind.XavierUniform], EvenWithBatchNorm: false,
        "ReLU zeroes half its input, so Xavier halves the activations' variance at every layer and deep networks fade to zero; use He");
}

/// <summary>An activation's one number (leaky ReLU's slope, ELU's α): the attribute property, its default, and the run-time hyperparameter it becomes.</summary>
internal sealed record NumberArgument(string Attribute, float Default, string Hyperparameter);

/// <summary>
/// One activation: everything the generator knows about it. <see cref="Name"/> is at once the attribute's short name,
/// the runtime struct in <c>Functional.Kernels</c>, the <c>Functional.ActivationKind</c> member and the method of
/// <c>Functional.Kernels.Reference</c>; <paramref name="label"/> names it in the generated comments. A pointwise
/// activation is these constructor arguments and nothing more; one with a number, an unusual label or passes of its
/// own (<see cref="Derivative.OwnPass"/>) overrides what it needs.
/// </summary>
internal abstract class Activation(string name, string label, Derivative derivative, InitKind defaultInit = InitKind.Xavier, InitAdvice? advice = null)
{
    public string Name { get; } = name;

    /// <summary>Other attribute names that mean this activation (Keras's <c>swish</c> for SiLU).</summary>
    public virtual string[] Aliases => [];

    public Derivative Derivative { get; } = derivative;

    /// <summary>The activation in prose, for the generated description and comments.</summary>
    public virtual string Label(ActivationSpec activation) => label;

    /// <summary>The weight initialisation a layer gets when it declares none.</summary>
    public InitKind DefaultInit { get; } = defaultInit;

    /// <summary>Which declared initialisations draw FN0019 for this activation; null: none.</summary>
    public InitAdvice? Advice { get; } = advice;

    /// <summary>The activation's number, if it has one.</summary>
    public virtual NumberArgument? Number => null;

    /// <summary>The product's columns per unit (Maxout's k).</summary>
    public virtual int Pieces(ActivationSpec activation) => 1;

    /// <summary>Learned slopes the layer's parameter block holds for the activation (PReLU's, one per unit or one shared).</summary>
    public virtual int Slopes(ActivationSpec activation, int units) => 0;

    /// <summary>The attribute as written; a half-typed argument keeps its default.</summary>
    public virtual ActivationSpec Read(string written, AttributeData attribute, int position)
    {
        float number = Number?.Default ?? 0f;
        if (Number is { } n && attribute.NamedArguments.FirstOrDefault(a => a.Key == n.Attribute).Value.Value is float value) number = value;
        return new ActivationSpec(written, number, Pieces: 1, Shared: false, position);
    }

    /// <summary>The rules on the activation's constants.</summary>
    public virtual void Check(LayerSpec layer, ActivationSpec activation, Report report) { }

    /// <summary>The runtime struct the kernels are instantiated with.</summary>
    public string KernelType => $"{Code.Kernels}.{Name}";

    /// <summary>
    /// The activation as a value built from the layer's run-time hyperparameters <paramref name="h"/>, or null when it
    /// has no number and the kernel's type argument says it all.
    /// </summary>
    public string? Value(string h) => Number is { } n ? $"new {KernelType}({h}.{n.Hyperparameter})" : null;

    /// <summary>The value the layer's declared hyperparameters hold for the activation (its number), or null.</summary>
    public virtual float? DeclaredHyperparameter(ActivationSpec activation) => Number is null ? null : activation.Number;

    /// <summary>The backward step in the staged layer's comment, reading the activation's input under the name <paramref name="input"/>.</summary>
    public virtual string BackwardStep(ActivationSpec activation, string input) =>
        $"{Label(activation)}′({(Derivative == Derivative.FromInput ? input : "y")})";

    /// <summary>The reference's line applying the activation to <paramref name="v"/> in double precision; <paramref name="h"/> is the layer's hyperparameters.</summary>
    public virtual string Reference(LayerShape layer, string v, string h)
    {
        string f = Number is { } n ? $"z => {Code.Kernels}.Reference.{Name}(z, {h}.{n.Hyperparameter})" : $"{Code.Kernels}.Reference.{Name}";
        return $"{v} = {Code.Kernels}.Reference.Map({v}, {f});";
    }

    // ── Passes of its own (Derivative.OwnPass) ─────────────────────────────────────────────────────

    /// <summary>The forward pass from the kept input <paramref name="u"/> to <paramref name="y"/>.</summary>
    public virtual string OwnForward(LayerShape layer, string u, string y) => throw Pointwise();

    /// <summary>Writes the backward pass over <paramref name="dy"/> and returns the expression that then holds ∂loss/∂u.</summary>
    public virtual string OwnBackward(SourceWriter w, LayerShape layer, string dy, string u) => throw Pointwise();

    /// <summary>Scratch the passes need in the workspace, declared after the layer's other buffers.</summary>
    public virtual void OwnBuffers(LayerShape layer, WorkspaceBuffer buffer) { }

    private System.InvalidOperationException Pointwise() => new($"{Name} is pointwise: it has no passes of its own");
}
