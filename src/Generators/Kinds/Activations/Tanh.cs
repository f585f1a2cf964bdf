// tanh: its derivative 1 − y² reads the output; saturating, so Xavier, and He is advised against.
namespace Functional.Generators.Kinds.Activations;

internal sealed class Tanh() : Activation("Tanh", "tanh", Derivative.FromOutput, advice: InitAdvice.Saturating);
