// A fully connected layer: y = x·W + b, W stored [inputs, outputs] row-major.
using System;

namespace Functional.Dsl;

/// <summary>A fully connected layer with <paramref name="units"/> outputs.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class DenseAttribute(int units) : Attribute
{
    /// <summary>Number of outputs of the layer.</summary>
    public int Units { get; } = units;

    /// <summary>How the weights are drawn; <see cref="Init.Default"/> follows the activation (He for the ReLU family, Xavier otherwise).</summary>
    public Init Init { get; set; } = Init.Default;

    /// <summary>Standard deviation for <see cref="Init.SmallRandom"/> (default 0.01).</summary>
    public float InitStd { get; set; } = 0.01f;

    /// <summary>The value every bias starts at (default 0).</summary>
    public float BiasInit { get; set; }
}

/// <summary>Weight initialisation schemes (fan_in = the layer's inputs, fan_out = its outputs).</summary>
public enum Init
{
    /// <summary>He for the ReLU family (ReLU, leaky ReLU, PReLU, ELU, Maxout) and its smooth kin (GELU, SiLU), Xavier otherwise.</summary>
    Default = 0,
    /// <summary>Normal, std √(1/fan_in): keeps the variance of tanh/linear layers (the lecture's Xavier form).</summary>
    Xavier = 1,
    /// <summary>Normal, std √(2/fan_in): ReLU zeroes half its input, so twice the variance keeps the signal (He et al. 2015).</summary>
    He = 2,
    /// <summary>All zeros: every unit computes the same thing and gets the same update, so symmetry never breaks. Only sensible for biases.</summary>
    Zeros = 3,
    /// <summary>Normal with a small fixed std (<see cref="DenseAttribute.InitStd"/>, default 0.01): fine for small nets, activations collapse in deep ones.</summary>
    SmallRandom = 4,
    /// <summary>Uniform in ±√(6/(fan_in + fan_out)) (Glorot &amp; Bengio 2010's original form).</summary>
    XavierUniform = 5,
    /// <summary>Uniform in ±√(6/fan_in): the uniform distribution with He's variance.</summary>
    HeUniform = 6,
}
