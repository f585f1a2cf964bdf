// The shape of what flows between layers: channels × height × width per sample, with a flat vector as the 1-D case.
using System.Globalization;

namespace Functional.Generators.Model;

/// <summary>
/// One sample's activation shape in PyTorch's NCHW order (the batch dimension is left out). A flat vector of n
/// features is 1 × 1 × n; an image is C × H × W. Flattening (before a dense layer) keeps the C, H, W order, so a
/// convolution's output reads as PyTorch's <c>flatten(1)</c>.
/// </summary>
internal readonly record struct TensorShape(int Channels, int Height, int Width)
{
    /// <summary>A flat vector of <paramref name="features"/> values.</summary>
    public static TensorShape Flat(int features) => new(1, 1, features);

    /// <summary>Values per sample: C·H·W.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Whether this is a plain vector (what a dense layer emits).</summary>
    public bool IsFlat => Channels == 1 && Height == 1;

    /// <summary>"[784]" for a vector, "[1, 28, 28]" for an image, as the generated comments write shapes.</summary>
    public override string ToString() => IsFlat
        ? $"[{Width.ToString(CultureInfo.InvariantCulture)}]"
        : string.Format(CultureInfo.InvariantCulture, "[{0}, {1}, {2}]", Channels, Height, Width);
}
