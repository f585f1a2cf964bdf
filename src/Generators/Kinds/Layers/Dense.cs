// The dense layer kind: [Dense(units)] on a Dense parameter — its attribute, rules and shape (its code is in Dense.Emit.cs).
using System.Globalization;
using Functional.Generators.Checking;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;
using static Functional.Generators.Emitting.Code;

namespace Functional.Generators.Kinds.Layers;

/// <summary>
/// y = f(x·W + b) with W [inputs, units·k] (k is Maxout's pieces, else 1), x any shape flattened in C, H, W order.
/// It hosts the layer's stages: batch norm (γ, β replace b) before the activation, dropout after it.
/// </summary>
internal sealed partial class Dense : LayerKind
{
    public override string Name => "Dense";
    public override string Attribute => "Functional.Dsl.DenseAttribute";
    public override string ParameterType => "Functional.Dense";

    public override void Read(AttributeData attribute, LayerBuilder layer)
    {
        layer.Kind = Name;
        if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int units) layer.Units = units;
        foreach (var named in attribute.NamedArguments)
        {
            // An Init cast from a number no member has is left at the default here and reported as FN0027.
            if (named.Key == "Init" && named.Value.Value is int i && System.Enum.IsDefined(typeof(InitKind), i)) layer.Init = (InitKind)i;
            if (named.Key == "InitStd" && named.Value.Value is float std) layer.InitStd = std;
            if (named.Key == "BiasInit" && named.Value.Value is float bias) layer.BiasInit = bias;
        }
    }

    public override void Check(LayerSpec layer, TensorShape input, Report report)
    {
        if (layer.Units is int units && units <= 0)
            report(Diagnostics.NonPositiveWidth, layer.Location, $"Layer '{layer.Name}'", units.ToString(CultureInfo.InvariantCulture));
        if (layer.Init == InitKind.SmallRandom && (!(layer.InitStd > 0) || float.IsInfinity(layer.InitStd)))
            report(Diagnostics.BadConstant, layer.Location, layer.Name, "InitStd", Number(layer.InitStd), "a positive number");
        if (float.IsNaN(layer.BiasInit) || float.IsInfinity(layer.BiasInit))
            report(Diagnostics.BadConstant, layer.Location, layer.Name, "BiasInit", Number(layer.BiasInit), "a finite number");
        if (layer.Init == InitKind.Zeros)
            report(Diagnostics.ZerosInit, layer.Location, layer.Name);
    }

    public override TensorShape OutputShape(LayerSpec layer, TensorShape input) => TensorShape.Flat(layer.Units ?? 0);

    public override long ParameterCount(LayerSpec layer, TensorShape input)
    {
        long units = layer.Units ?? 0;
        var activation = Registry.ActivationNamed(layer.Activation?.Kind);
        long width = units * System.Math.Max(1, activation?.Pieces(layer.Activation!) ?? 1);
        long slopes = activation?.Slopes(layer.Activation!, (int)units) ?? 0;
        return (long)input.Size * width + (layer.BatchNorm is null ? width : 2 * width) + slopes;
    }
}
