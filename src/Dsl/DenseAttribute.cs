// A fully connected layer: y = x·W + b, W stored [inputs, outputs] row-major.
using System;

namespace Functional.Dsl;

/// <summary>A fully connected layer with <paramref name="units"/> outputs.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class DenseAttribute(int units) : Attribute
{
    /// <summary>Number of outputs of the layer.</summary>
    public int Units { get; } = units;

    /// <summary>How the weights are drawn; <see cref="Init.Default"/> follows the activation (He for ReLU, Xavier otherwise).</summary>
    public Init Init { get; set; } = Init.Default;
}

/// <summary>Weight initialisation schemes. Biases start at zero.</summary>
public enum Init
{
    /// <summary>He for the ReLU family, Xavier otherwise.</summary>
    Default = 0,
    /// <summary>Normal with std √(1/fan_in): keeps the variance of tanh/linear layers (Glorot &amp; Bengio 2010, the lecture's form).</summary>
    Xavier = 1,
    /// <summary>Normal with std √(2/fan_in): keeps the variance through ReLU, which zeroes half its input (He et al. 2015).</summary>
    He = 2,
}
