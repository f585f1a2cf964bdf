// ELU with α as a run-time value: derivative from the output (y + α below 0, which needs α > 0 so sign(y) = sign(z)).
using System.Globalization;
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Elu : Activation
{
    public override string Name => "Elu";
    public override Derivative Derivative => Derivative.FromOutput;
    public override string Label(ActivationSpec activation) => $"ELU (α {Code.Number(activation.Number)})";
    public override InitKind DefaultInit => InitKind.He;
    public override NumberArgument? Number { get; } = new("Alpha", 1f, "EluAlpha");

    public override void Check(LayerSpec layer, ActivationSpec activation, Report report)
    {
        if (!(activation.Number > 0))
            report(Diagnostics.EluAlpha, layer.Location, layer.Name, activation.Number.ToString("R", CultureInfo.InvariantCulture));
    }
}
