// ReLU, max(0, z): its derivative (1 where y > 0) reads the output; He init, since it passes half its input's variance.
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Relu() : Activation("Relu", "ReLU", Derivative.FromOutput, InitKind.He, InitAdvice.HalvesVariance);
