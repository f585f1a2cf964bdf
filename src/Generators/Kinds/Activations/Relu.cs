// ReLU, max(0, z): derivative from the output (y > 0), He init.
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Relu : Activation
{
    public override string Name => "Relu";
    public override Derivative Derivative => Derivative.FromOutput;
    public override string Label(ActivationSpec activation) => "ReLU";
    public override InitKind DefaultInit => InitKind.He;
    public override InitAdvice? Advice => InitAdvice.HalvesVariance;
}
