// Activation attributes: applied to a layer's output, fused into its matrix product where the math allows.
using System;

namespace Functional.Dsl;

/// <summary>Base of every activation attribute; a layer has at most one.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public abstract class ActivationAttribute : Attribute;

/// <summary>
/// σ(x) = 1 / (1 + e^−x). Saturates at 0 and 1, where its gradient vanishes ("kills gradients"); outputs are
/// not zero-centred, so the next layer's weight gradients all share a sign; exp() is comparatively costly.
/// Mostly of historical interest for hidden layers.
/// </summary>
public sealed class SigmoidAttribute : ActivationAttribute;

/// <summary>tanh(x). Zero-centred, but still saturates at ±1 and kills gradients there. Pair with Xavier init.</summary>
public sealed class TanhAttribute : ActivationAttribute;

/// <summary>
/// max(0, x). Does not saturate for x &gt; 0, is cheap, and converges much faster than sigmoid/tanh in practice;
/// not zero-centred, and units whose input stays negative stop learning ("dead ReLUs"). Pair with He init.
/// </summary>
public sealed class ReluAttribute : ActivationAttribute;

/// <summary>max(αx, x) with a small fixed slope α (default 0.01): like ReLU, but never dies.</summary>
public sealed class LeakyReluAttribute : ActivationAttribute
{
    /// <summary>The slope for negative inputs, in [0, 1).</summary>
    public float Slope { get; set; } = 0.01f;
}

/// <summary>
/// Parametric ReLU: max(αx, x) with α learned by backprop (He et al. 2015), one per unit or one shared by the
/// layer; starts at 0.25 like PyTorch. Adds a handful of parameters, not subject to L2.
/// </summary>
public sealed class PReluAttribute : ActivationAttribute
{
    /// <summary>One slope for the whole layer instead of one per unit.</summary>
    public bool Shared { get; set; }
}

/// <summary>
/// Exponential linear unit: x for x &gt; 0, α(eˣ − 1) otherwise (default α = 1). All ReLU's benefits, outputs
/// closer to zero mean, and a negative saturation that is robust to noise; costs an exp().
/// </summary>
public sealed class EluAttribute : ActivationAttribute
{
    /// <summary>The value ELU saturates to for very negative inputs is −α; α must be positive.</summary>
    public float Alpha { get; set; } = 1f;
}

/// <summary>
/// Maxout (Goodfellow et al. 2013): the layer computes <paramref name="pieces"/> linear functions per unit and
/// outputs their maximum. Generalises ReLU and leaky ReLU, never saturates or dies — but multiplies the layer's
/// parameters by k.
/// </summary>
public sealed class MaxoutAttribute(int pieces) : ActivationAttribute
{
    /// <summary>k, the number of linear pieces per unit (at least 2).</summary>
    public int Pieces { get; } = pieces;
}

/// <summary>
/// GELU (Hendrycks &amp; Gimpel 2016), PyTorch's exact form: x·Φ(x) = ½x(1 + erf(x/√2)), Φ the standard normal CDF. A
/// smooth ReLU that lets small negative values through, the default in transformers. Not monotone, so the layer keeps
/// its pre-activation for the derivative (one more buffer than ReLU); still fused into the product. Pair with He init.
/// </summary>
public sealed class GeluAttribute : ActivationAttribute;

/// <summary>
/// SiLU, x·σ(x) (Elfwing et al. 2017; Ramachandran et al. 2017 call it swish): smooth, non-monotone, unbounded above.
/// PyTorch's <c>nn.SiLU</c>, Keras's <c>silu</c>/<c>swish</c>. Keeps its pre-activation for the derivative, like GELU;
/// still fused into the product. Pair with He init.
/// </summary>
public sealed class SiluAttribute : ActivationAttribute;

/// <summary>The same activation as <see cref="SiluAttribute"/>, by the name Keras and TensorFlow also use.</summary>
public sealed class SwishAttribute : ActivationAttribute;
