// Batch norm as a stage of a product layer: its attribute (momentum, ε), its rules, and its line of the reference.
using System.Linq;
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;
using static Functional.Generators.Emitting.Code;
using static Functional.Generators.Emitting.GeneratedMembers;

namespace Functional.Generators.Kinds.Layers;

internal sealed class BatchNormStage : Stage
{
    public override string Attribute => "Functional.Dsl.BatchNormAttribute";

    public override void Read(AttributeData attribute, LayerBuilder layer)
    {
        float momentum = 0.1f, epsilon = 1e-5f;
        if (attribute.NamedArguments.FirstOrDefault(a => a.Key == "Momentum").Value.Value is float m) momentum = m;
        if (attribute.NamedArguments.FirstOrDefault(a => a.Key == "Epsilon").Value.Value is float e) epsilon = e;
        layer.BatchNorm = new BatchNormSpec(momentum, epsilon);
    }

    public override void Check(LayerSpec layer, Report report)
    {
        if (layer.BatchNorm is not { } bn) return;
        // Per channel after a convolution, each statistic is taken over batch × pixels: one filter is fine there.
        if (layer.Units == 1 && layer.Conv is null) report(Diagnostics.BatchNormWidthOne, layer.Location, layer.Name, "1");
        if (!(bn.Momentum > 0 && bn.Momentum <= 1)) report(Diagnostics.BadConstant, layer.Location, layer.Name, "BatchNorm Momentum", Number(bn.Momentum), "in (0, 1]");
        if (!(bn.Epsilon > 0) || float.IsInfinity(bn.Epsilon)) report(Diagnostics.BadConstant, layer.Location, layer.Name, "BatchNorm Epsilon", Number(bn.Epsilon), "a positive number");
    }

    /// <summary>The reference's training-mode batch norm of <paramref name="v"/> with the batch's statistics.</summary>
    public static string Reference(LayerShape l, string v, string h) =>
        $"{v} = {Kernels}.Reference.BatchNorm({v}, parameters, {Gamma.Of(l)}, {Beta.Of(l)}, count, {N(l.Width)}, {h}.BatchNormEpsilon);";
}
