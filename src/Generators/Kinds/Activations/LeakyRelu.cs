// Leaky ReLU with its slope as a run-time value: derivative from the output (sign(y) = sign(z) for a slope in [0, 1)).
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class LeakyRelu() : Activation("LeakyRelu", "leaky ReLU", Derivative.FromOutput, InitKind.He, InitAdvice.HalvesVariance)
{
    public override string Label(ActivationSpec activation) => $"leaky ReLU (slope {Code.Number(activation.Number)})";
    public override NumberArgument? Number { get; } = new("Slope", 0.01f, "LeakySlope");

    // A negative slope would flip the sign of y and the derivative could no longer be read from it; 1 is linear.
    public override void Check(LayerSpec layer, ActivationSpec activation, Report report)
    {
        if (!(activation.Number >= 0 && activation.Number < 1))
            report(Diagnostics.LeakySlope, layer.Location, layer.Name, Code.Number(activation.Number));
    }
}
