// The one registry of the generator's pieces: layer kinds, the stages a layer may carry, activations and losses.
using System.Collections.Generic;
using System.Linq;
using Functional.Generators.Kinds.Activations;
using Functional.Generators.Kinds.Layers;

namespace Functional.Generators.Kinds;

/// <summary>
/// Every layer kind, stage, activation and loss the generator knows, in the order messages list them. Parsing,
/// checking, shape inference and emission find a piece here by the attribute that names it and ask the piece; nothing
/// else in the generator switches on these names. A new piece is one file and one line below (docs/ARCHITECTURE.md).
/// </summary>
internal static class Registry
{
    public static readonly LayerKind[] Layers = [new Dense(), new Conv2d()];

    /// <summary>What a product layer may carry between its product and its output, besides an activation.</summary>
    public static readonly Stage[] Stages =
    [
        new BatchNormStage(), new DropoutStage(),
        new PoolStage(Model.PoolKind.Max, "Functional.Dsl.MaxPool2dAttribute"), new PoolStage(Model.PoolKind.Avg, "Functional.Dsl.AvgPool2dAttribute"),
    ];

    public static readonly Activation[] Activations =
        [new Relu(), new Sigmoid(), new Tanh(), new LeakyRelu(), new PRelu(), new Elu(), new Maxout(), new Gelu(), new Silu()];

    public static readonly Loss[] Losses = [Loss.SoftmaxCrossEntropy, Loss.Hinge];

    private static readonly Dictionary<string, Activation> ActivationsByName =
        Activations.SelectMany(a => a.Aliases.Prepend(a.Name).Select(name => (name, a))).ToDictionary(p => p.name, p => p.a);

    /// <summary>Every attribute name that means an activation, for FN0013's list.</summary>
    public static IEnumerable<string> ActivationNames => Activations.SelectMany(a => a.Aliases.Prepend(a.Name));

    public static LayerKind? LayerNamed(string? name) => Layers.FirstOrDefault(k => k.Name == name);
    public static LayerKind? LayerByAttribute(string attribute) => Layers.FirstOrDefault(k => k.Attribute == attribute);
    public static Stage? StageByAttribute(string attribute) => Stages.FirstOrDefault(s => s.Attribute == attribute);
    public static Activation? ActivationNamed(string? name) => name is not null && ActivationsByName.TryGetValue(name, out var a) ? a : null;
    public static Loss? LossNamed(string? name) => Losses.FirstOrDefault(l => l.Name == name);
}
