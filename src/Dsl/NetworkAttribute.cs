// Marks a partial record as a network: the generator emits its parameter layout, kernels and training code.
using System;

namespace Functional.Dsl;

/// <summary>
/// Declares a feed-forward network. The record's positional parameters are its layers, read top to bottom;
/// each is annotated with a layer attribute (<see cref="DenseAttribute"/>), optionally an activation, and the
/// last one with a loss. The record must be <c>partial</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Number of input features per sample (784 for a 28×28 image).</summary>
    public int Inputs { get; set; }
}
