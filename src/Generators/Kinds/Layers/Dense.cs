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
        ReadInit(attribute, layer);
    }

    public override void Check(LayerSpec layer, TensorShape input, string shapes, Report report)
    {
        if (layer.Units is int units && units <= 0)
            report(Diagnostics.NonPositiveWidth, layer.Location, $"Layer '{layer.Name}'", units.ToString(CultureInfo.InvariantCulture));
        CheckInit(layer, report);
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

    public override long Flops(LayerSpec layer, TensorShape input)
    {
        var activation = Registry.ActivationNamed(layer.Activation?.Kind);
        return 2L * input.Size * (layer.Units ?? 0) * System.Math.Max(1, activation?.Pieces(layer.Activation!) ?? 1);
    }
}
