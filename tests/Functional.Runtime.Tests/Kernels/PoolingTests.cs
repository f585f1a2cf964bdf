// Max and average pooling against the naive double references on awkward shapes, PyTorch's tie and NaN rules, gradient checks in double.
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

public sealed class PoolingTests(ITestOutputHelper output)
{
    private const double U = 1.0 / (1 << 24);

    /// <summary>Odd sizes, batch 1, one channel, default and explicit strides, overlapping windows, a window as large as the input, rectangles, the reference CNN's pools.</summary>
    internal static readonly Pool2dShape[] Shapes =
    [
        new(1, 1, 7, 5, 2),                       // default stride 2: the last row and column dropped (floor)
        new(2, 3, 7, 5, 3, stride: 2),            // overlapping windows
        new(2, 2, 6, 7, 2),
        new(1, 1, 7, 5, 7, 5, 1, 1),              // the window is the whole input: global pooling
        new(3, 2, 9, 9, 3, stride: 3),
        new(2, 1, 5, 5, 3, stride: 1),            // every input in up to nine windows
        new(2, 2, 7, 6, 3, 2, 2, 1),              // rectangular window and stride
        new(2, 3, 8, 8, 2, stride: 3),            // stride longer than the window: inputs no window sees
        new(2, 2, 17, 19, 2),                     // the vector 2 × 2 path: a last block overlapping, a row and a column left over
        new(1, 2, 9, 11, 2),                      // and its four-wide form (five windows across), odd both ways
        new(2, 16, 28, 28, 2),                    // the reference CNN's first pool
        new(1, 32, 14, 14, 2),                    // and its second
    ];

    /// <summary>Pooling has no vector path yet; every width still runs, so one added later is covered.</summary>
    public static TheoryData<int, Isa> Cases()
    {
        var data = new TheoryData<int, Isa>();
        for (int i = 0; i < Shapes.Length; i++)
            foreach (var isa in Widths.All) data.Add(i, isa);
        return data;
    }

    private static float[] Input(Pool2dShape s, int seed) => Fill.Uniform(s.Batch * s.InputSize, 1000 * seed + s.Height * 31 + s.KernelHeight * 7 + s.StrideWidth);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Max_pool_forward_picks_each_windows_maximum_and_records_where(int index, Isa isa)
    {
        var s = Shapes[index];
        var x = Input(s, 1);
        var expected = Reference.MaxPool2d(Reference.Widen(x), s, out var argmax);
        var (y, indices) = (new float[s.Batch * s.OutputSize], new int[s.Batch * s.OutputSize]);
        y.AsSpan().Fill(float.NaN);
        indices.AsSpan().Fill(-1);
        using (Cpu.Pin(isa)) MaxPool2d.Forward(x, y, indices, s);

        // A maximum is one of the inputs: exact.
        Assert.True(Compare.MaxDifference(y, expected, out int worst) == 0, $"{s} at {isa}: y[{worst}] = {y[worst]}, expected {expected[worst]}");
        Assert.Equal(argmax, indices);
        var inference = new float[y.Length];
        using (Cpu.Pin(isa)) MaxPool2d.Forward(x, inference, [], s);
        Assert.Equal(y, inference);
    }

    [Fact]
    public void Max_pool_ties_go_to_the_first_input_of_the_window_and_NaN_wins_as_in_pytorch()
    {
        var s = new Pool2dShape(1, 1, 4, 4, 2);
        float nan = float.NaN;
        float[] x =
        [
            0, 0, 3, 1,      // window (0, 0): all zeros → index 0, as torch (a ReLU's output is full of such ties);
            0, 0, 3, 3,      // window (0, 1): 3 at 2, 6 and 7 → index 2
            1, nan, -1, -2,  // window (1, 0): NaN at 9 and at 12; a NaN replaces even a NaN, so the last, 12, wins
            nan, 5, nan, -3, // window (1, 1): NaN at 14 only → 14
        ];
        var (y, indices) = (new float[4], new int[4]);
        MaxPool2d.Forward(x, y, indices, s);
        Assert.Equal([0, 2, 12, 14], indices);
        Assert.Equal(0f, y[0]); Assert.Equal(3f, y[1]); Assert.True(float.IsNaN(y[2])); Assert.True(float.IsNaN(y[3]));

        var all = new float[16];
        Array.Fill(all, float.NegativeInfinity);
        MaxPool2d.Forward(all, y, indices, s);
        Assert.Equal([0, 2, 8, 10], indices); // nothing beats −∞: the window's first input

        // The same rules through the general window's scan (3 × 3, stride 1).
        var general = new Pool2dShape(1, 1, 3, 4, 3, stride: 1);
        float[] grid = [2, 2, 7, 7, nan, 2, 1, 7, nan, 0, 7, 1];
        var (g, at) = (new float[2], new int[2]);
        MaxPool2d.Forward(grid, g, at, general);
        Assert.Equal([8, 2], at); // the NaNs at 4 and 8: the last; the 7s at 2, 3, 7 and 10: the first
        Assert.True(float.IsNaN(g[0])); Assert.Equal(7f, g[1]);
    }

    /// <summary>
    /// Planes wide enough for the vector 2 × 2 path (eight outputs at a time, four, and the overlapping last block),
    /// full of ties, zeros, −0, NaN and −∞: the winners must be the scalar scan's (as the reference picks them).
    /// </summary>
    [Theory]
    [InlineData(4, 8)]
    [InlineData(5, 10)]
    [InlineData(6, 16)]
    [InlineData(3, 19)]
    [InlineData(8, 30)]
    [InlineData(2, 14)]
    public void Max_pool_ties_and_NaN_take_the_same_winner_on_the_vector_path(int height, int width)
    {
        var s = new Pool2dShape(2, 3, height, width, 2);
        var random = new SeededRandom(height * 100 + width);
        var x = new float[s.Batch * s.InputSize];
        for (int i = 0; i < x.Length; i++)
        {
            double u = random.NextDouble();
            x[i] = u < 0.05 ? float.NaN : u < 0.08 ? float.NegativeInfinity : u < 0.1 ? -0f : u < 0.4 ? 0f : MathF.Round((float)(random.NextDouble() * 4 - 2) * 2) / 2;
        }
        var expected = Reference.MaxPool2d(Reference.Widen(x), s, out var argmax);
        foreach (var isa in Widths.All)
        {
            var (y, indices) = (new float[expected.Length], new int[expected.Length]);
            using (Cpu.Pin(isa)) MaxPool2d.Forward(x, y, indices, s);
            Assert.Equal(argmax, indices);
            for (int i = 0; i < y.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits((float)expected[i]) || float.IsNaN(y[i]) && double.IsNaN(expected[i]),
                    $"{s} at {isa}: y[{i}] = {y[i]}, expected {expected[i]}");
        }
    }

    /// <summary>(terms − 1)·u·Σ|terms| for a float sum, per element; an exact sum (one term) gets 0.</summary>
    private static double Bound(int terms, double absolute) => Math.Max(terms - 1, 0) * U * absolute;

    private void Check(string what, Pool2dShape s, Isa isa, float[] actual, double[] expected, double[] absolute, int terms, double extraRelative = 0)
    {
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            max = Math.Max(max, d);
            double bound = Bound(terms, absolute[i]) + extraRelative * Math.Abs(expected[i]);
            Assert.True(d <= bound, $"{what} at {isa}, {s}: element {i} is {actual[i]:R}, expected {expected[i]:R} (|Δ| {d:E3}, bound {bound:E3})");
        }
        output.WriteLine($"MAXDIFF {isa} {what} {s}: {max:E3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Max_pool_backward_sends_each_gradient_to_its_winner_and_fuses_the_activation_below(int index, Isa isa)
    {
        var s = Shapes[index];
        var x = Input(s, 2);
        var dy = Fill.Uniform(s.Batch * s.OutputSize, 40 + index);
        var indices = new int[dy.Length];
        MaxPool2d.Forward(x, new float[dy.Length], indices, s);
        var expected = Reference.MaxPool2dBackward(Reference.Widen(x), Reference.Widen(dy), s);
        var absolute = Reference.MaxPool2dBackward(Reference.Widen(x), ConvolutionTests.Abs(dy), s);
        // An input wins at most as many windows as cover it.
        int terms = ((s.KernelHeight + s.StrideHeight - 1) / s.StrideHeight) * ((s.KernelWidth + s.StrideWidth - 1) / s.StrideWidth);

        var dx = new float[s.Batch * s.InputSize];
        dx.AsSpan().Fill(float.NaN); // overwritten, not added to
        using (Cpu.Pin(isa)) MaxPool2d.Backward(dy, indices, dx, s);
        Check("MaxPool2d.Backward", s, isa, dx, expected, absolute, terms);

        // With a ReLU below: its derivative where the saved output is positive.
        var below = Fill.ReluOutputs(s.Batch * s.InputSize, 50 + index);
        var masked = new float[dx.Length];
        using (Cpu.Pin(isa)) MaxPool2d.Backward<Relu>(dy, indices, below, masked, s);
        for (int i = 0; i < expected.Length; i++) expected[i] = below[i] > 0 ? expected[i] : 0;
        Check("MaxPool2d.Backward<Relu>", s, isa, masked, expected, absolute, terms);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Average_pool_forward_and_backward_match_the_reference(int index, Isa isa)
    {
        var s = Shapes[index];
        var x = Input(s, 3);
        int area = s.KernelHeight * s.KernelWidth;
        var y = new float[s.Batch * s.OutputSize];
        using (Cpu.Pin(isa)) AvgPool2d.Forward(x, y, s);
        var absolute = Reference.AvgPool2d(ConvolutionTests.Abs(x), s);
        // A sum of `area` floats, then one division: one more rounding, relative to the result.
        Check("AvgPool2d.Forward", s, isa, y, Reference.AvgPool2d(Reference.Widen(x), s), absolute, area, extraRelative: U);

        var dy = Fill.Uniform(y.Length, 60 + index);
        var dx = new float[x.Length];
        dx.AsSpan().Fill(float.NaN);
        using (Cpu.Pin(isa)) AvgPool2d.Backward(dy, dx, s);
        var expected = Reference.AvgPool2dBackward(Reference.Widen(dy), s);
        var absoluteDx = Reference.AvgPool2dBackward(ConvolutionTests.Abs(dy), s);
        int terms = ((s.KernelHeight + s.StrideHeight - 1) / s.StrideHeight) * ((s.KernelWidth + s.StrideWidth - 1) / s.StrideWidth);
        // Each share dy/area is rounded once, then at most `terms` shares are added.
        Check("AvgPool2d.Backward", s, isa, dx, expected, absoluteDx, terms + 1);

        var below = Fill.ReluOutputs(x.Length, 70 + index);
        var masked = new float[x.Length];
        using (Cpu.Pin(isa)) AvgPool2d.Backward<Relu>(dy, below, masked, s);
        for (int i = 0; i < expected.Length; i++) expected[i] = below[i] > 0 ? expected[i] : 0;
        Check("AvgPool2d.Backward<Relu>", s, isa, masked, expected, absoluteDx, terms + 1);
    }

    public static TheoryData<int, bool> GradientCases()
    {
        var data = new TheoryData<int, bool>();
        // The reference CNN's pools are left to the comparisons above: with thousands of windows, one's two largest
        // values could lie closer than the step, and the rounding of their losses' sums would swamp the tolerance.
        for (int i = 0; i < Shapes.Length - 2; i++)
            foreach (bool max in new[] { true, false }) data.Add(i, max);
        return data;
    }

    /// <summary>
    /// L(x) = Σ u ⊙ pool(x) by centred differences of the double reference, against the reference backward (to 1e-8)
    /// and the fast one (to its float bound). Max pooling is piecewise linear: with the step far below the gaps between
    /// a window's values (random inputs, so no ties), the difference quotient is exact but for rounding.
    /// </summary>
    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_matches_centred_differences_of_the_forward(int index, bool max)
    {
        var s = Shapes[index];
        var xf = Input(s, 4);
        var u = Fill.Uniform(s.Batch * s.OutputSize, 80 + index);
        var x = Reference.Widen(xf);
        double Loss(double[] input)
        {
            var y = max ? Reference.MaxPool2d(input, s, out _) : Reference.AvgPool2d(input, s);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += u[i] * y[i];
            return sum;
        }
        var reference = max ? Reference.MaxPool2dBackward(x, Reference.Widen(u), s) : Reference.AvgPool2dBackward(Reference.Widen(u), s);
        var fast = new float[x.Length];
        if (max)
        {
            var indices = new int[u.Length];
            MaxPool2d.Forward(xf, new float[u.Length], indices, s);
            MaxPool2d.Backward(u, indices, fast, s);
        }
        else AvgPool2d.Backward(u, fast, s);
        var absolute = max ? Reference.MaxPool2dBackward(x, ConvolutionTests.Abs(u), s) : Reference.AvgPool2dBackward(ConvolutionTests.Abs(u), s);
        int terms = ((s.KernelHeight + s.StrideHeight - 1) / s.StrideHeight) * ((s.KernelWidth + s.StrideWidth - 1) / s.StrideWidth) + 1;

        const double h = 1e-5;
        int step = Math.Max(1, x.Length / 400);
        for (int i = 0; i < x.Length; i += step)
        {
            double saved = x[i];
            x[i] = saved + h; double plus = Loss(x);
            x[i] = saved - h; double minus = Loss(x);
            x[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(reference[i] - numeric) <= 1e-8 * Math.Max(1, Math.Abs(numeric)), $"{(max ? "max" : "avg")} pool {s}, x[{i}]: reference backward {reference[i]:R}, centred difference {numeric:R}");
            double bound = Bound(terms, absolute[i]) + 1e-8 * Math.Max(1, Math.Abs(numeric));
            Assert.True(Math.Abs(fast[i] - numeric) <= bound, $"{(max ? "max" : "avg")} pool {s}, x[{i}]: fast backward {fast[i]:R}, centred difference {numeric:R} (bound {bound:E3})");
        }
    }

    [Fact]
    public void Impossible_shapes_and_foreign_indices_are_refused()
    {
        Assert.Contains("3×3 pooling window is larger than the 2×5 input", Assert.Throws<ArgumentException>(() => new Pool2dShape(1, 1, 2, 5, 3)).Message);
        Assert.Contains("stride", Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2dShape(1, 1, 4, 4, 2, stride: 0)).Message);
        Assert.Contains("channels", Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2dShape(1, 0, 4, 4, 2)).Message);
        Assert.Contains("default Pool2dShape", Assert.Throws<ArgumentException>(() => AvgPool2d.Forward(new float[4], new float[1], default)).Message);
        var s = new Pool2dShape(2, 1, 5, 4, 2);
        Assert.Equal((2, 2), (s.OutputHeight, s.OutputWidth)); // ⌊(5 − 2)/2⌋ + 1 = 2 rows: the fifth is dropped
        Assert.Equal(2, s.StrideHeight);
        Assert.Contains("y holds 7 values, the shape needs 8", Assert.Throws<ArgumentException>(() => MaxPool2d.Forward(new float[40], new float[7], new int[8], s)).Message);
        var indices = new int[8];
        indices[5] = 20; // outside the 5×4 plane
        var failure = Assert.ThrowsAny<Exception>(() => MaxPool2d.Backward(new float[8], indices, new float[40], s));
        Assert.Contains("max-pool index 20", (failure.InnerException ?? failure).Message);
        Assert.Equal("2×1×5×4 pooled 2×2 stride 2×2 → 2×1×2×2", s.ToString());
    }
}
