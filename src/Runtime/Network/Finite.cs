// Finds the first non-finite number in a network's parameter or buffer block and names it by layer and tensor.
using System.Numerics.Tensors;

namespace Functional;

/// <summary>Where a non-finite number sits: the layer's declared name, the tensor ("W", "b", "γ", …), the index inside it and the value.</summary>
public readonly record struct NonFinite(string Layer, string Tensor, int Index, float Value)
{
    /// <summary>Layer.Tensor[index] = value, for error messages.</summary>
    public override string ToString() => $"{Layer}.{Tensor}[{Index:N0}] = {Value}";
}

/// <summary>Checks that parameter and buffer blocks hold finite numbers only, naming the first that does not.</summary>
public static class Finite
{
    /// <summary>The first NaN or infinity in <paramref name="parameters"/>, then in <paramref name="buffers"/>, by <paramref name="layout"/>; null when all are finite.</summary>
    public static NonFinite? Find(NetworkLayout layout, ReadOnlySpan<float> parameters, ReadOnlySpan<float> buffers)
    {
        ArgumentNullException.ThrowIfNull(layout);
        // One vectorised pass decides the common, all-finite case before any search by tensor.
        if (AllFinite(parameters) && AllFinite(buffers)) return null;
        foreach (var layer in layout.Layers)
        {
            var d = layer.Dense;
            foreach (var (tensor, block, offset, length) in Tensors(d, parameters.Length, buffers.Length))
            {
                var span = (block == 0 ? parameters : buffers).Slice(offset, length);
                int bad = IndexOfNonFinite(span);
                if (bad >= 0) return new NonFinite(layer.Name, tensor, bad, span[bad]);
            }
        }
        // Outside every layer's tensors (a block longer than the layout): report it by block and index.
        int p = IndexOfNonFinite(parameters);
        if (p >= 0) return new NonFinite(layout.Name, "parameters", p, parameters[p]);
        int b = IndexOfNonFinite(buffers);
        return b >= 0 ? new NonFinite(layout.Name, "buffers", b, buffers[b]) : null;
    }

    /// <summary>Whether every element of <paramref name="values"/> is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        // A dot product is NaN or ∞ when an element is; a finite block whose squares overflow is confirmed by the
        // element scan, which chunks keep short.
        const int chunk = 4096;
        for (int start = 0; start < values.Length; start += chunk)
        {
            var part = values.Slice(start, Math.Min(chunk, values.Length - start));
            if (!float.IsFinite(TensorPrimitives.Dot(part, part)) && IndexOfNonFinite(part) >= 0) return false;
        }
        return true;
    }

    /// <summary>Index of the first NaN or infinity in <paramref name="values"/>, or −1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // A float is NaN or ±∞ exactly when its exponent bits are all ones: eight at a time, then the lane is found
        // one by one (data sets of 43 million values are checked on every transform).
        int i = 0;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            var exponent = System.Runtime.Intrinsics.Vector256.Create(0x7F80_0000u);
            var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(values);
            for (; i <= bits.Length - 8; i += 8)
            {
                var v = System.Runtime.Intrinsics.Vector256.Create(bits.Slice(i, 8));
                if (System.Runtime.Intrinsics.Vector256.EqualsAny(v & exponent, exponent)) break;
            }
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    private static IEnumerable<(string Tensor, int Block, int Offset, int Length)> Tensors(DenseLayout d, int parameterLength, int bufferLength)
    {
        var all = new (string, int, int, int)[]
        {
            ("W", 0, d.WeightsOffset, d.WeightCount),
            ("b", 0, d.BiasOffset, d.Width),
            ("γ", 0, d.GammaOffset, d.Width),
            ("β", 0, d.BetaOffset, d.Width),
            ("slope", 0, d.SlopeOffset, d.SlopeCount),
            ("running mean", 1, d.RunningMeanOffset, d.Width),
            ("running variance", 1, d.RunningVarianceOffset, d.Width),
        };
        foreach (var (name, block, offset, length) in all)
            if (offset >= 0 && length > 0 && offset + length <= (block == 0 ? parameterLength : bufferLength))
                yield return (name, block, offset, length);
    }
}
