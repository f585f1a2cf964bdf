// SiLU (swish), z·σ(z): not monotone, so its derivative σ(z)(1 + z(1 − σ(z))) reads the kept input z.
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Silu : Activation
{
    public override string Name => "Silu";
    /// <summary>PyTorch and JAX call it SiLU, Keras and TensorFlow also swish: both attributes mean this piece.</summary>
    public override string[] Aliases => ["Swish"];
    public override Derivative Derivative => Derivative.FromInput;
    public override string Label(ActivationSpec activation) => "SiLU";
    public override InitKind DefaultInit => InitKind.He;
}
