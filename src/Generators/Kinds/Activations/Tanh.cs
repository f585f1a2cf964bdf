// tanh: derivative from the output, 1 − y²; saturating, so Xavier.
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Tanh : Activation
{
    public override string Name => "Tanh";
    public override Derivative Derivative => Derivative.FromOutput;
    public override string Label(ActivationSpec activation) => "tanh";
    public override InitAdvice? Advice => InitAdvice.Saturating;
}
