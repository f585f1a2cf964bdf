// The logistic sigmoid: its derivative y(1 − y) reads the output; saturating, so Xavier, and He is advised against.
namespace Functional.Generators.Kinds.Activations;

internal sealed class Sigmoid() : Activation("Sigmoid", "sigmoid", Derivative.FromOutput, advice: InitAdvice.Saturating);
