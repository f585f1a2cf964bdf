// Convolution and pooling layers over images (NCHW, PyTorch's conventions): the attributes a convolutional network is declared with.
using System;

namespace Functional.Dsl;

/// <summary>
/// A 2-D convolution with <paramref name="filters"/> square <paramref name="kernel"/> × kernel filters (PyTorch's
/// <c>Conv2d(C, filters, kernel, stride, padding)</c>: a cross-correlation over every input channel, zero padding, an
/// output of ⌊(H + 2·Padding − kernel)/Stride⌋ + 1 rows and as many columns; the generator refuses a size that is not a
/// whole number rather than dropping rows). Weights are [filters, C, kernel, kernel], one bias per filter. It must follow
/// the image input or another convolution; a dense layer after it reads its output flattened in C, H, W order. Batch
/// norm on it normalises per channel (PyTorch's BatchNorm2d), and pooling (<see cref="MaxPool2dAttribute"/>,
/// <see cref="AvgPool2dAttribute"/>) follows its activation.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class Conv2dAttribute(int filters, int kernel) : Attribute
{
    /// <summary>Filters: the output's channels.</summary>
    public int Filters { get; } = filters;

    /// <summary>The side of each square filter.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>The step between windows, down and across (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side of the input (default 0; a 5 × 5 kernel with padding 2 keeps the size).</summary>
    public int Padding { get; set; }

    /// <summary>How the weights are drawn (fan_in = C·kernel², fan_out = filters·kernel², as PyTorch counts them); <see cref="Init.Default"/> follows the activation.</summary>
    public Init Init { get; set; } = Init.Default;

    /// <summary>Standard deviation for <see cref="Init.SmallRandom"/> (default 0.01).</summary>
    public float InitStd { get; set; } = 0.01f;

    /// <summary>The value every bias starts at (default 0).</summary>
    public float BiasInit { get; set; }
}

/// <summary>
/// Max pooling after a convolution's activation: the largest value of each <paramref name="size"/> × size window of each
/// channel (PyTorch's <c>max_pool2d</c>, no padding, floor mode; a size that is not whole is refused).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class MaxPool2dAttribute(int size) : Attribute
{
    /// <summary>The side of the square window.</summary>
    public int Size { get; } = size;

    /// <summary>The step between windows; not set: the window's size (PyTorch's default).</summary>
    public int Stride { get; set; }
}

/// <summary>
/// Average pooling after a convolution's activation: the mean of each <paramref name="size"/> × size window of each
/// channel (PyTorch's <c>avg_pool2d</c>, no padding, floor mode).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AvgPool2dAttribute(int size) : Attribute
{
    /// <summary>The side of the square window.</summary>
    public int Size { get; } = size;

    /// <summary>The step between windows; not set: the window's size (PyTorch's default).</summary>
    public int Stride { get; set; }
}
