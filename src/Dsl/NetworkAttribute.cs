// Marks a partial record as a network: the generator emits its parameter layout, kernels and training code.
using System;

namespace Functional.Dsl;

/// <summary>
/// Declares a feed-forward network. The record's positional parameters are its layers, read top to bottom;
/// each is annotated with a layer attribute (<see cref="DenseAttribute"/>, <see cref="Conv2dAttribute"/>), optionally an activation, and the
/// last one with a loss. The record must be <c>partial</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Number of input features per sample (784 for a 28×28 image). With an image shape given, it must equal Channels × Height × Width.</summary>
    public int Inputs { get; set; }

    /// <summary>The input image's channels (1 for grey, 3 for RGB); given with <see cref="Height"/> and <see cref="Width"/> for a convolutional network.</summary>
    public int Channels { get; set; }

    /// <summary>The input image's rows.</summary>
    public int Height { get; set; }

    /// <summary>The input image's columns. Samples are read as C × H × W, row-major within a channel (NCHW).</summary>
    public int Width { get; set; }
}
