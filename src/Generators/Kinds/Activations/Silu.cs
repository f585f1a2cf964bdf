// SiLU (swish), z·σ(z): not monotone, so its derivative σ(z)(1 + z(1 − σ(z))) reads the kept input z; He init, like GELU.
using Functional.Generators.Model;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Silu() : Activation("Silu", "SiLU", Derivative.FromInput, InitKind.He)
{
    /// <summary>PyTorch and JAX call it SiLU, Keras and TensorFlow also swish: both attributes mean this piece.</summary>
    public override string[] Aliases => ["Swish"];
}
