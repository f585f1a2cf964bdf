// Dropout as a stage of a product layer: its attribute (p), its rules, and its line of the reference.
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;
using static Functional.Generators.Emitting.Code;

namespace Functional.Generators.Kinds.Layers;

internal sealed class DropoutStage : Stage
{
    public override string Attribute => "Functional.Dsl.DropoutAttribute";

    public override void Read(AttributeData attribute, LayerBuilder layer)
    {
        if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is float p) layer.Dropout = p;
    }

    public override void Check(LayerSpec layer, Report report)
    {
        if (layer.Dropout is not float p) return;
        if (!(p >= 0 && p < 1)) report(Diagnostics.DropoutRange, layer.Location, layer.Name, Number(p));
        // Dropping class scores would corrupt the loss.
        if (layer.Losses.Length > 0) report(Diagnostics.DropoutOnLossLayer, layer.Location, layer.Name);
    }

    /// <summary>The reference's dropout of <paramref name="v"/>, with the mask the fast path draws for the layer.</summary>
    public static string Reference(LayerShape l, string v, string h) =>
        $"{v} = {Kernels}.Reference.Dropout({v}, {h}.Dropout, {Kernels}.Dropout.Mix(options.DropoutSeed, {N(l.Index)}));";
}
