// PReLU: learned slopes in the parameter block, so its derivative needs the kept input and its own pass (slopes may turn negative).
using System.Linq;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Microsoft.CodeAnalysis;
using static Functional.Generators.Emitting.Code;
using static Functional.Generators.Emitting.GeneratedMembers;

namespace Functional.Generators.Kinds.Activations;

internal sealed class PRelu() : Activation("PRelu", "PReLU", Derivative.OwnPass, InitKind.He, InitAdvice.HalvesVariance)
{
    public override string Label(ActivationSpec activation) => activation.Shared ? "PReLU (one shared learned slope)" : "PReLU (a learned slope per unit)";
    public override int Slopes(ActivationSpec activation, int units) => activation.Shared ? 1 : units;

    /// <summary>The slopes start at 0.25 (He et al. 2015, PyTorch's default), a run-time value like the others.</summary>
    public override float? DeclaredHyperparameter(ActivationSpec activation) => 0.25f;

    public override ActivationSpec Read(string written, AttributeData attribute, int position) =>
        base.Read(written, attribute, position) with { Shared = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Shared").Value.Value is true };

    public override string BackwardStep(ActivationSpec activation, string input) => "PReLU′(u) (and the slope's gradient)";

    public override string OwnForward(LayerShape l, string u, string y) =>
        $"{Kernels}.PRelu.Forward({u}, p.Slice({Slope.Of(l)}, {N(l.SlopeCount)}), {y}, batch, {N(l.Outputs)});";

    public override string OwnBackward(SourceWriter w, LayerShape l, string dy, string u)
    {
        w.Line($"{Kernels}.PRelu.Backward({dy}, {u}, p.Slice({Slope.Of(l)}, {N(l.SlopeCount)}), dp.Slice({Slope.Of(l)}, {N(l.SlopeCount)}), batch, {N(l.Outputs)});");
        return dy;
    }

    public override string Reference(LayerShape l, string v, string h) =>
        $"{v} = {Kernels}.Reference.PRelu({v}, parameters, {Slope.Of(l)}, {N(l.SlopeCount)}, count, {N(l.Outputs)});";
}
