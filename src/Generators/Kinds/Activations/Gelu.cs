// GELU, z·Φ(z) in PyTorch's exact erf form: not monotone, so its derivative Φ(z) + z·φ(z) reads the kept input z.
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Gelu : Activation
{
    public override string Name => "Gelu";
    public override Derivative Derivative => Derivative.FromInput;
    public override string Label(ActivationSpec activation) => "GELU";
    // Close to ReLU for large |z| and passing about 0.43 of a unit Gaussian's second moment (ReLU: 0.5): He's gain fits.
    public override InitKind DefaultInit => InitKind.He;
}
