// The layer being parsed: each piece that reads one of the parameter's attributes fills in its part.
using System.Collections.Generic;
using Functional.Generators.Model;

namespace Functional.Generators.Parsing;

/// <summary>The mutable side of <see cref="LayerSpec"/>, alive only while one parameter's attributes are read.</summary>
internal sealed class LayerBuilder
{
    public string? Kind { get; set; }
    public int? Units { get; set; }
    public InitKind Init { get; set; } = InitKind.Default;
    public float InitStd { get; set; } = 0.01f;
    public float BiasInit { get; set; }
    public List<ActivationSpec> Activations { get; } = [];
    public List<string> Losses { get; } = [];
    public int LossPosition { get; set; } = -1;
    public BatchNormSpec? BatchNorm { get; set; }
    public float? Dropout { get; set; }
    public List<UndefinedEnumArgument> UndefinedEnums { get; } = [];
    public ConvSpec? Conv { get; set; }
    public List<PoolSpec> Pools { get; } = [];

    public LayerSpec Build(string name, string typeName, LocationInfo location) => new(
        Name: name,
        TypeName: typeName,
        Kind: Kind,
        Units: Units,
        Init: Init,
        InitStd: InitStd,
        BiasInit: BiasInit,
        Activations: Activations.ToEquatableArray(),
        Losses: Losses.ToEquatableArray(),
        LossPosition: LossPosition,
        BatchNorm: BatchNorm,
        Dropout: Dropout,
        Location: location,
        UndefinedEnums: UndefinedEnums.ToEquatableArray(),
        Conv: Conv,
        Pools: Pools.ToEquatableArray());
}
