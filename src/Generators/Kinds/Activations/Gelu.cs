// GELU, z·Φ(z) in PyTorch's exact erf form: not monotone, so its derivative Φ(z) + z·φ(z) reads the kept input z.
// He init: close to ReLU for large |z|, it passes about 0.43 of a unit Gaussian's second moment (ReLU: 0.5).
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Gelu() : Activation("Gelu", "GELU", Derivative.FromInput, InitKind.He);
