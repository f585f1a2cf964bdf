// The standalone activation backward pass against a scalar reference, at every width and awkward length.
using Functional.Kernels;

namespace Functional.Tests.Kernels;

public sealed unsafe class ActivationTests
{
    public static TheoryData<Isa, int> Lengths()
    {
        var data = new TheoryData<Isa, int>();
        foreach (var isa in Widths.All)
            foreach (int length in new[] { 1, 7, 8, 17, 255, 257 })
                data.Add(isa, length);
        return data;
    }

    /// <summary>
    /// y holds what a ReLU leaves (exact zeros and positives) plus negatives, −0 and NaN, which must also count as
    /// "not positive"; dy holds NaN and ±∞ where y is positive, which must pass through bit for bit.
    /// </summary>
    private static (float[] Dy, float[] Y) Inputs(int length, long seed)
    {
        float[] dy = Fill.Uniform(length, seed, scale: 5f), y = Fill.Uniform(length, seed + 1);
        for (int i = 0; i < length; i++)
        {
            y[i] = (i % 5) switch { 0 => 0f, 1 => -0f, 2 => y[i], _ => Math.Abs(y[i]) };
            if (i % 11 == 3) dy[i] = i % 2 == 0 ? float.NaN : float.PositiveInfinity;
            if (i % 13 == 6) y[i] = float.NaN;
        }
        return (dy, y);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Relu_backward_in_place_keeps_dy_where_y_is_positive_and_zeroes_it_elsewhere(Isa isa, int length)
    {
        var (dy, y) = Inputs(length, 100 + length);
        var expected = new float[length];
        for (int i = 0; i < length; i++) expected[i] = y[i] > 0 ? dy[i] : 0f;
        Guarded gdy = new(dy), gy = new(y);

        using (Cpu.Pin(isa)) ActivationPass.BackwardInPlace<Relu>(gdy.Pointer, gy.Pointer, length);

        AssertBitwiseEqual(expected, gdy.Span, $"ReLU backward at {isa}, length {length}");
        gdy.AssertGuardsIntact("dy");
        gy.AssertGuardsIntact("y");
        Assert.True(gy.Span.SequenceEqual(y), "y was modified");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Identity_backward_in_place_leaves_dy_unchanged(Isa isa, int length)
    {
        var (dy, y) = Inputs(length, 200 + length);
        Guarded gdy = new(dy), gy = new(y);

        using (Cpu.Pin(isa)) ActivationPass.BackwardInPlace<Identity>(gdy.Pointer, gy.Pointer, length);

        AssertBitwiseEqual(dy, gdy.Span, $"Identity backward at {isa}, length {length}");
        gdy.AssertGuardsIntact("dy");
    }

    /// <summary>Every width test relies on this: a pin takes effect on this thread and is undone on dispose, even nested.</summary>
    [Fact]
    public void Cpu_Pin_sets_the_current_width_and_restores_the_previous_one()
    {
        var before = Cpu.Current;
        using (Cpu.Pin(Isa.Vector512))
        {
            Assert.Equal(Isa.Vector512, Cpu.Current);
            using (Cpu.Pin(Isa.Scalar)) Assert.Equal(Isa.Scalar, Cpu.Current);
            Assert.Equal(Isa.Vector512, Cpu.Current);
            var other = Isa.Scalar;
            var thread = new Thread(() => other = Cpu.Current);
            thread.Start(); thread.Join();
            Assert.Equal(Cpu.Best, other);
        }
        Assert.Equal(before, Cpu.Current);
    }

    private static void AssertBitwiseEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        int mismatches = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                mismatches++;
                if (first < 0) first = i;
            }
        Assert.True(mismatches == 0, $"{what}: {mismatches} element(s) differ, first at {first}: {(first < 0 ? 0 : actual[first])} vs expected {(first < 0 ? 0 : expected[first])}");
    }
}
