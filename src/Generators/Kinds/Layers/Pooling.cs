// Max and average pooling as stages of a convolution layer: their attributes (window, stride) and the rule that only a convolution carries them.
using Functional.Generators.Checking;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Kinds.Layers;

/// <summary>
/// Pooling after a convolution's activation. Its sizes are checked by <see cref="Conv2d"/>, which has the shape in hand;
/// its passes, buffers and reference line are written by the convolution that hosts it.
/// </summary>
internal sealed class PoolStage(PoolKind kind, string attribute) : Stage
{
    public override string Attribute { get; } = attribute;

    public override void Read(AttributeData attribute, LayerBuilder layer)
    {
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int size) return;
        int? stride = null;
        foreach (var named in attribute.NamedArguments)
            if (named.Key == "Stride" && named.Value.Value is int s) stride = s;
        layer.Pools.Add(new PoolSpec(kind, size, stride));
    }

    public override void Check(LayerSpec layer, Report report)
    {
        if (layer.Conv is null && layer.Kind is not null && Registry.LayerNamed(layer.Kind) is Dense)
            foreach (var pool in layer.Pools)
                if (pool.Kind == kind) report(Diagnostics.PoolOnDense, layer.Location, layer.Name, Conv2d.PoolName(pool));
    }
}
