// The logistic sigmoid: derivative from the output, y(1 − y); saturating, so Xavier.
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Sigmoid : Activation
{
    public override string Name => "Sigmoid";
    public override Derivative Derivative => Derivative.FromOutput;
    public override string Label(ActivationSpec activation) => "sigmoid";
    public override InitAdvice? Advice => InitAdvice.Saturating;
}
