// ELU with α as a run-time value: derivative from the output (y + α below 0, which needs α > 0 so sign(y) = sign(z)).
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Elu() : Activation("Elu", "ELU", Derivative.FromOutput, InitKind.He)
{
    public override string Label(ActivationSpec activation) => $"ELU (α {Code.Number(activation.Number)})";
    public override NumberArgument? Number { get; } = new("Alpha", 1f, "EluAlpha");

    public override void Check(LayerSpec layer, ActivationSpec activation, Report report)
    {
        if (!(activation.Number > 0))
            report(Diagnostics.EluAlpha, layer.Location, layer.Name, Code.Number(activation.Number));
    }
}
