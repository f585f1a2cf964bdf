// Convolution kernels against the naive double references at every width on awkward shapes, gradient checks in double, shape rules.
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

/// <summary>
/// Tolerances are per element and rigorous rather than guessed: a float sum of n products in any order is within
/// (n − 1)·u·Σ|terms| of the exact sum (u = 2⁻²⁴; Higham, Accuracy and Stability, §3.1), and Σ|terms| is the same
/// convolution taken over |x|, |W| and |b|, which the reference computes in double. Each check allows (n + 2)·u·Σ|terms|
/// (the bias add and the activation's rounding on top), so a kernel that drops, repeats or misplaces a single term
/// fails, while no legal summation order can.
/// </summary>
public sealed unsafe class ConvolutionTests(ITestOutputHelper output)
{
    private const double U = 1.0 / (1 << 24);

    /// <summary>Odd sizes, batch 1, one channel, stride 1/2/3, padding 0/1/2, kernels 1/2/3/4/5 and one the size of the input, and the reference CNN's layers.</summary>
    internal static readonly Conv2dShape[] Shapes =
    [
        new(1, 1, 7, 5, 1, 3, 3, stride: 1, padding: 1),    // batch 1, one channel, one filter
        new(2, 3, 7, 5, 4, 3, 3, stride: 2, padding: 0),    // stride 2, ragged last window dropped
        new(3, 2, 9, 7, 5, 5, 5, stride: 1, padding: 2),    // 5 × 5, "same" padding
        new(2, 3, 7, 5, 7, 7, 5, stride: 1, padding: 0),    // kernel equal to the input: a 1 × 1 output
        new(1, 4, 8, 8, 3, 1, 1, stride: 1, padding: 0),    // pointwise: no im2col
        new(2, 2, 6, 7, 3, 1, 1, stride: 2, padding: 1),    // 1 × 1 but strided and padded: not pointwise
        new(2, 3, 11, 10, 17, 3, 3, stride: 2, padding: 2), // 17 filters: two six-row tiles and a ragged one
        new(2, 3, 5, 5, 2, 3, 3, stride: 1, padding: 2),    // two filters: the product's direct path
        new(3, 1, 4, 4, 5, 2, 2, stride: 3, padding: 1),    // stride 3
        new(1, 2, 2, 3, 6, 4, 4, stride: 1, padding: 1),    // kernel larger than the input, fitting only with padding
        new(1, 1, 28, 28, 16, 5, 5, stride: 1, padding: 2), // the reference CNN's first layer (784 pixels: two k blocks in dW)
        new(2, 16, 14, 14, 32, 5, 5, stride: 1, padding: 2), // its second (patch 400)
        // The first layer again at batch 3: dW sums images in the store over two k blocks (bench/torch_step.py found
        // every image but the last dropped there, with the first k block counted twice; batch 1 cannot show it).
        new(3, 1, 28, 28, 16, 5, 5, stride: 1, padding: 2),
    ];

    public static TheoryData<int, Isa> Cases()
    {
        var data = new TheoryData<int, Isa>();
        for (int i = 0; i < Shapes.Length; i++)
            foreach (var isa in Widths.All) data.Add(i, isa);
        return data;
    }

    public static TheoryData<int, Isa, Act> CasesWithActivation()
    {
        var data = new TheoryData<int, Isa, Act>();
        foreach (var row in Cases())
            foreach (var act in new[] { Act.Identity, Act.Relu })
                data.Add((int)row[0], (Isa)row[1], act);
        return data;
    }

    /// <summary>Random data for one shape, seeded by it.</summary>
    internal sealed record Data(float[] X, float[] W, float[] B)
    {
        public static Data For(Conv2dShape s, int seed = 0)
        {
            long basis = 7919L * (s.Batch + 31 * s.Channels + 997 * s.Height + 7 * s.Filters + 13 * s.KernelHeight + 3 * s.Stride + 5 * s.Padding) + seed;
            return new(Fill.Uniform(s.Batch * s.InputSize, basis + 1), Fill.Uniform(s.WeightCount, basis + 2), Fill.Uniform(s.Filters, basis + 3));
        }
    }

    internal static double[] Abs(ReadOnlySpan<float> v)
    {
        var a = new double[v.Length];
        for (int i = 0; i < v.Length; i++) a[i] = Math.Abs(v[i]);
        return a;
    }

    private static double[] Parameters(float[] w, float[] b) => Reference.Widen([.. w, .. b]);

    /// <summary>The largest |actual − expected| and the largest ratio of an element's difference to its own bound.</summary>
    private void Check(string what, Conv2dShape s, Isa isa, ReadOnlySpan<float> actual, double[] expected, double[] bound)
    {
        double max = Compare.MaxDifference(actual, expected, out int worst);
        double ratio = 0;
        int over = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            ratio = Math.Max(ratio, d / bound[i]);
            if (d > bound[i] && over < 0) over = i;
        }
        output.WriteLine($"MAXDIFF {isa} {what} {s}: {max:E3}, {ratio:P1} of the bound");
        Assert.True(over < 0, $"{what} at {isa}, {s}: max |Δ| = {max:E3} at {worst}; element {over} is off by {(over < 0 ? 0 : Math.Abs(actual[over] - expected[over])):E3}, over its bound {(over < 0 ? 0 : bound[over]):E3}");
    }

    private static double[] Bound(double[] absolute, int terms) => Array.ConvertAll(absolute, a => (terms + 2) * U * a + 1e-30);

    [Theory]
    [MemberData(nameof(CasesWithActivation))]
    public void Forward_is_the_cross_correlation_plus_bias_through_the_activation(int index, Isa isa, Act act)
    {
        var s = Shapes[index];
        var (x, w, b) = Data.For(s);
        Func<double, double> f = act == Act.Relu ? Reference.Relu : Reference.Identity;
        var expected = Reference.Conv2d(Reference.Widen(x), Parameters(w, b), 0, s.WeightCount, s, f);
        var absolute = Reference.Conv2d(Abs(x), [.. Abs(w), .. Abs(b)], 0, s.WeightCount, s, Reference.Identity);

        Guarded gx = new(x), gw = new(w), gb = new(b), gy = new(s.Batch * s.OutputSize);
        gy.Span.Fill(float.NaN); // every output must be written
        using (Cpu.Pin(isa))
        {
            if (act == Act.Relu) Convolution.Forward<Relu>(gx.Pointer, gw.Pointer, gb.Pointer, gy.Pointer, s);
            else Convolution.Forward<Identity>(gx.Pointer, gw.Pointer, gb.Pointer, gy.Pointer, s);
        }

        Check($"Forward<{act}>", s, isa, gy.Span, expected, Bound(absolute, s.PatchSize));
        gy.AssertGuardsIntact("y");
        Assert.Equal(x, gx.ToArray()); Assert.Equal(w, gw.ToArray());
    }

    /// <summary>The lowering as its number: <see cref="Convolution.Lowering"/> is internal, and theory data is public.</summary>
    public static TheoryData<int, Isa, int> CasesByLowering()
    {
        var data = new TheoryData<int, Isa, int>();
        foreach (var row in Cases())
            foreach (var lowering in Enum.GetValues<Convolution.Lowering>())
                data.Add((int)row[0], (Isa)row[1], (int)lowering);
        return data;
    }

    /// <summary>Every lowering the benchmarks compare (im2col, implicit, pixels as rows), with and without a bias.</summary>
    [Theory]
    [MemberData(nameof(CasesByLowering))]
    public void Every_lowering_of_the_forward_is_the_same_convolution(int index, Isa isa, int loweringNumber)
    {
        var lowering = (Convolution.Lowering)loweringNumber;
        var s = Shapes[index];
        var (x, w, b) = Data.For(s, seed: 2);
        var expected = Reference.Conv2d(Reference.Widen(x), Parameters(w, b), 0, s.WeightCount, s, Reference.Relu);
        var absolute = Reference.Conv2d(Abs(x), [.. Abs(w), .. Abs(b)], 0, s.WeightCount, s, Reference.Identity);
        Guarded gx = new(x), gw = new(w), gb = new(b), gy = new(s.Batch * s.OutputSize);
        gy.Span.Fill(float.NaN);
        using (Cpu.Pin(isa)) Convolution.Forward(gx.Pointer, gw.Pointer, gb.Pointer, gy.Pointer, s, default(Relu), lowering);
        Check($"Forward<Relu>, {lowering}", s, isa, gy.Span, expected, Bound(absolute, s.PatchSize));
        gy.AssertGuardsIntact("y");
        // Reading the im2col matrix from the image instead of writing it changes no bit.
        if (lowering == Convolution.Lowering.ImplicitPixelRows)
        {
            var written = new Guarded(s.Batch * s.OutputSize);
            using (Cpu.Pin(isa)) Convolution.Forward(gx.Pointer, gw.Pointer, gb.Pointer, written.Pointer, s, default(Relu), Convolution.Lowering.PixelRows);
            Assert.True(written.Span.SequenceEqual(gy.Span), $"{s} at {isa}: implicit pixel rows differ from pixel rows");
        }

        var unbiased = Reference.Conv2d(Reference.Widen(x), Reference.Widen(w), 0, -1, s, Reference.Relu);
        using (Cpu.Pin(isa)) Convolution.Forward(gx.Pointer, gw.Pointer, null, gy.Pointer, s, default(Relu), lowering);
        Check($"Forward<Relu>, {lowering}, no bias", s, isa, gy.Span, unbiased, Bound(Reference.Conv2d(Abs(x), Abs(w), 0, -1, s, Reference.Identity), s.PatchSize));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_without_a_bias_and_with_a_parameterised_activation(int index, Isa isa)
    {
        var s = Shapes[index];
        var (x, w, _) = Data.For(s, seed: 1);
        var expected = Reference.Conv2d(Reference.Widen(x), Reference.Widen(w), 0, -1, s, z => Reference.LeakyRelu(z, 0.1f));
        var absolute = Reference.Conv2d(Abs(x), Abs(w), 0, -1, s, Reference.Identity);
        var y = new float[s.Batch * s.OutputSize];
        using (Cpu.Pin(isa)) Convolution.Forward(x, w, [], y, s, new LeakyRelu(0.1f));
        Check("Forward<LeakyRelu 0.1>, no bias", s, isa, y, expected, Bound(absolute, s.PatchSize));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weight_and_bias_gradients_sum_dz_times_the_inputs_each_weight_met(int index, Isa isa)
    {
        var s = Shapes[index];
        var (x, _, _) = Data.For(s);
        var dz = Fill.Uniform(s.Batch * s.OutputSize, 77 + index);
        var (dW, db) = Reference.Conv2dWeightGradient(Reference.Widen(x), Reference.Widen(dz), s);
        var (absW, absB) = Reference.Conv2dWeightGradient(Abs(x), Abs(dz), s);

        Guarded gx = new(x), gdz = new(dz), gdw = new(s.WeightCount), gdb = new(s.Filters);
        gdw.Span.Fill(float.NaN); gdb.Span.Fill(float.NaN); // overwritten, not added to
        using (Cpu.Pin(isa)) Convolution.WeightGradient(gx.Pointer, gdz.Pointer, gdw.Pointer, gdb.Pointer, s);

        int terms = s.Batch * s.OutputPixels;
        Check("WeightGradient dW", s, isa, gdw.Span, dW, Bound(absW, terms));
        Check("WeightGradient db", s, isa, gdb.Span, db, Bound(absB, terms));
        gdw.AssertGuardsIntact("dW"); gdb.AssertGuardsIntact("db");
        Assert.Equal(x, gx.ToArray()); Assert.Equal(dz, gdz.ToArray());

        // Without db: dW is the same bit for bit, and nothing is written for db.
        var alone = new float[s.WeightCount];
        using (Cpu.Pin(isa)) Convolution.WeightGradient(x, dz, alone, [], s);
        Assert.True(alone.AsSpan().SequenceEqual(gdw.Span), $"{s} at {isa}: dW changed when db was not asked for");
    }

    /// <summary>
    /// The shapes above, and batches past <see cref="Convolution.WeightGradientGroups"/> that do not divide into its
    /// groups, one with more output pixels than a k block and no padding (the image copied to scratch), one strided
    /// over two channels.
    /// </summary>
    private static readonly Conv2dShape[] WeightGradientShapes =
    [
        .. Shapes,
        new(11, 1, 30, 29, 5, 3, 3, stride: 1, padding: 0),
        new(11, 2, 13, 12, 7, 3, 3, stride: 2, padding: 1),
    ];

    public static TheoryData<int, Isa, int> CasesByOrientation()
    {
        var data = new TheoryData<int, Isa, int>();
        for (int i = 0; i < WeightGradientShapes.Length; i++)
            foreach (var isa in Widths.All)
                foreach (var orientation in Enum.GetValues<Convolution.WeightGradientOrientation>())
                    data.Add(i, isa, (int)orientation);
        return data;
    }

    /// <summary>Both orientations of the weight gradient's product (patch rows, filter rows), whichever the shape would choose.</summary>
    [Theory]
    [MemberData(nameof(CasesByOrientation))]
    public void Every_orientation_of_the_weight_gradient_sums_the_same_products(int index, Isa isa, int orientationNumber)
    {
        var orientation = (Convolution.WeightGradientOrientation)orientationNumber;
        var s = WeightGradientShapes[index];
        var (x, _, _) = Data.For(s, seed: 3);
        var dz = Fill.Uniform(s.Batch * s.OutputSize, 177 + index);
        var (dW, db) = Reference.Conv2dWeightGradient(Reference.Widen(x), Reference.Widen(dz), s);
        var (absW, absB) = Reference.Conv2dWeightGradient(Abs(x), Abs(dz), s);

        Guarded gx = new(x), gdz = new(dz), gdw = new(s.WeightCount), gdb = new(s.Filters);
        gdw.Span.Fill(float.NaN); gdb.Span.Fill(float.NaN);
        using (Cpu.Pin(isa)) Convolution.WeightGradient(gx.Pointer, gdz.Pointer, gdw.Pointer, gdb.Pointer, s, orientation);

        int terms = s.Batch * s.OutputPixels;
        Check($"WeightGradient dW, {orientation}", s, isa, gdw.Span, dW, Bound(absW, terms));
        Check($"WeightGradient db, {orientation}", s, isa, gdb.Span, db, Bound(absB, terms));
        gdw.AssertGuardsIntact("dW"); gdb.AssertGuardsIntact("db");
        Assert.Equal(x, gx.ToArray()); Assert.Equal(dz, gdz.ToArray());

        // Reading the im2col matrix from the image instead of writing it changes no bit, where the written one's
        // product takes the packed path (over at most four pixels it streams, summing in another order).
        if (orientation == Convolution.WeightGradientOrientation.ImplicitPatchRows && s.OutputPixels > 4)
        {
            Guarded written = new(s.WeightCount), writtenBias = new(s.Filters);
            using (Cpu.Pin(isa)) Convolution.WeightGradient(gx.Pointer, gdz.Pointer, written.Pointer, writtenBias.Pointer, s, Convolution.WeightGradientOrientation.PatchRows);
            Assert.True(written.Span.SequenceEqual(gdw.Span) && writtenBias.Span.SequenceEqual(gdb.Span), $"{s} at {isa}: implicit patch rows differ from patch rows");
        }

        // Without db: dW is the same bit for bit.
        var alone = new Guarded(s.WeightCount);
        using (Cpu.Pin(isa)) Convolution.WeightGradient(gx.Pointer, gdz.Pointer, alone.Pointer, null, s, orientation);
        Assert.True(alone.Span.SequenceEqual(gdw.Span), $"{s} at {isa}, {orientation}: dW changed when db was not asked for");
    }

    [Theory]
    [MemberData(nameof(CasesWithActivation))]
    public void Input_gradient_sends_dz_back_through_the_weights_and_the_activation_below(int index, Isa isa, Act act)
    {
        var s = Shapes[index];
        var (_, w, _) = Data.For(s);
        var dz = Fill.Uniform(s.Batch * s.OutputSize, 91 + index);
        var below = Fill.ReluOutputs(s.Batch * s.InputSize, 92 + index);
        var dx = Reference.Conv2dInputGradient(Reference.Widen(dz), Reference.Widen(w), s);
        var absolute = Reference.Conv2dInputGradient(Abs(dz), Abs(w), s);
        if (act == Act.Relu)
            for (int i = 0; i < dx.Length; i++) if (!(below[i] > 0)) dx[i] = 0;

        Guarded gdz = new(dz), gw = new(w), gbelow = new(below), gdx = new(s.Batch * s.InputSize);
        gdx.Span.Fill(float.NaN); // overwritten, not added to
        using (Cpu.Pin(isa))
        {
            if (act == Act.Relu) Convolution.InputGradient<Relu>(gdz.Pointer, gw.Pointer, gbelow.Pointer, gdx.Pointer, s);
            else Convolution.InputGradient<Identity>(gdz.Pointer, gw.Pointer, gbelow.Pointer, gdx.Pointer, s);
        }

        Check($"InputGradient<{act}>", s, isa, gdx.Span, dx, Bound(absolute, s.Filters * s.KernelHeight * s.KernelWidth));
        gdx.AssertGuardsIntact("dx");
        Assert.Equal(dz, gdz.ToArray()); Assert.Equal(w, gw.ToArray()); Assert.Equal(below, gbelow.ToArray());

        if (act == Act.Identity)
        {
            var plain = new float[s.Batch * s.InputSize];
            using (Cpu.Pin(isa)) Convolution.InputGradient(dz, w, plain, s);
            Assert.True(plain.AsSpan().SequenceEqual(gdx.Span), $"{s} at {isa}: the overload without an activation differs from Identity");
        }
    }

    public enum Below { Identity, Relu, Tanh }

    public static TheoryData<int, Below> GradientCases()
    {
        var data = new TheoryData<int, Below>();
        // The two reference-CNN layers are left to the comparisons above: their finite differences would take minutes.
        for (int i = 0; i < Shapes.Length - 2; i++)
            foreach (var below in new[] { Below.Identity, Below.Relu, Below.Tanh })
                data.Add(i, below);
        return data;
    }

    /// <summary>
    /// L(x₀, W, b) = Σ u ⊙ conv(g(x₀), W, b), with g the activation of the layer below, differentiated by centred
    /// differences of the double-precision reference forward. Checked against it: the reference backward (to 1e-8, as
    /// both are in double) and the fast kernels (to their float bound), dL/dW and dL/db from
    /// <see cref="Convolution.WeightGradient(float*, float*, float*, float*, in Conv2dShape)"/> with dz = u, dL/dx₀ from
    /// the input gradient with g′ fused.
    /// </summary>
    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Every_backward_matches_centred_differences_of_the_forward(int index, Below below)
    {
        var s = Shapes[index];
        var (x0f, wf, bf) = Data.For(s, seed: 5);
        // Inputs at least 0.05 from ReLU's kink, far more than the step h.
        for (int i = 0; i < x0f.Length; i++) x0f[i] = x0f[i] >= 0 ? 0.05f + x0f[i] : x0f[i] - 0.05f;
        var u = Fill.Uniform(s.Batch * s.OutputSize, 101 + index);
        Func<double, double> g = below switch { Below.Relu => Reference.Relu, Below.Tanh => Reference.Tanh, _ => Reference.Identity };

        double[] x0 = Reference.Widen(x0f), parameters = Parameters(wf, bf);
        double Loss(double[] input, double[] p)
        {
            var z = Reference.Conv2d(Reference.Map(input, g), p, 0, s.WeightCount, s, Reference.Identity);
            double sum = 0;
            for (int i = 0; i < z.Length; i++) sum += u[i] * z[i];
            return sum;
        }

        // Fast: the float kernels on the float inputs (g(x₀) rounded to float, as a network would have saved it).
        var y = Array.ConvertAll(Reference.Map(x0, g), v => (float)v);
        var (dW, db, dx) = (new float[s.WeightCount], new float[s.Filters], new float[s.Batch * s.InputSize]);
        Convolution.WeightGradient(y, u, dW, db, s);
        switch (below)
        {
            case Below.Relu: Convolution.InputGradient<Relu>(u, wf, y, dx, s); break;
            case Below.Tanh: Convolution.InputGradient<Tanh>(u, wf, y, dx, s); break;
            default: Convolution.InputGradient<Identity>(u, wf, y, dx, s); break;
        }
        // Reference backward, in double.
        var (refW, refB) = Reference.Conv2dWeightGradient(Reference.Map(x0, g), Reference.Widen(u), s);
        var refX = Reference.Conv2dInputGradient(Reference.Widen(u), Reference.Widen(wf), s);
        for (int i = 0; i < refX.Length; i++)
        {
            double gy = g(x0[i]);
            refX[i] *= below switch { Below.Relu => gy > 0 ? 1 : 0, Below.Tanh => 1 - gy * gy, _ => 1 };
        }
        // Bounds for the fast kernels: the float sums, plus g(x₀)'s rounding to float and g′'s own few roundings.
        var (absW, absB) = Reference.Conv2dWeightGradient(Abs(y), Abs(u), s);
        var absX = Reference.Conv2dInputGradient(Abs(u), Abs(wf), s);
        int weightTerms = s.Batch * s.OutputPixels, inputTerms = s.Filters * s.KernelHeight * s.KernelWidth;

        const double h = 1e-5;
        double worstReference = 0, worstFast = 0;
        void Probe(string what, double[] v, int i, double reference, float fast, double absolute, int terms)
        {
            double saved = v[i];
            v[i] = saved + h; double plus = Loss(x0, parameters);
            v[i] = saved - h; double minus = Loss(x0, parameters);
            v[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double scale = Math.Max(1, Math.Abs(numeric));
            worstReference = Math.Max(worstReference, Math.Abs(reference - numeric) / scale);
            Assert.True(Math.Abs(reference - numeric) <= 1e-8 * scale, $"{what}[{i}] of {s}, below {below}: reference backward {reference:R}, centred difference {numeric:R}");
            double bound = (terms + 6) * U * absolute + 1e-8 * scale;
            worstFast = Math.Max(worstFast, Math.Abs(fast - numeric) / bound);
            Assert.True(Math.Abs(fast - numeric) <= bound, $"{what}[{i}] of {s}, below {below}: fast kernel {fast:R}, centred difference {numeric:R}, |Δ| {Math.Abs(fast - numeric):E3} over its bound {bound:E3}");
        }

        // Every coordinate of small tensors; a spread of about 200 of a large one.
        static IEnumerable<int> Sample(int length) => Enumerable.Range(0, length).Where(i => length <= 256 || i % (length / 200) == 0);
        foreach (int i in Sample(s.WeightCount)) Probe("dW", parameters, i, refW[i], dW[i], absW[i], weightTerms);
        foreach (int f in Sample(s.Filters)) Probe("db", parameters, s.WeightCount + f, refB[f], db[f], absB[f], weightTerms);
        foreach (int i in Sample(x0.Length)) Probe("dx", x0, i, refX[i], dx[i], absX[i], inputTerms);
        output.WriteLine($"GRADCHECK {s} below {below}: reference {worstReference:E2} relative, fast {worstFast:P1} of its bound");
    }

    [Theory]
    [InlineData(28, 5, 1, 2, 28)]
    [InlineData(14, 5, 1, 2, 14)]
    [InlineData(7, 3, 2, 0, 3)]   // (7 − 3)/2 + 1
    [InlineData(8, 3, 2, 1, 4)]   // (8 + 2 − 3)/2 + 1 = 4.5 → 4
    [InlineData(5, 2, 3, 1, 2)]   // (5 + 2 − 2)/3 + 1 = 2.67 → 2
    [InlineData(1, 3, 1, 1, 1)]
    [InlineData(2, 4, 1, 1, 1)]
    public void Output_sizes_follow_pytorchs_floor_division(int size, int kernel, int stride, int padding, int expected)
    {
        var s = new Conv2dShape(1, 1, size, size + 1, 1, kernel, kernel, stride, padding);
        Assert.Equal(expected, s.OutputHeight);
        Assert.Equal((size + 1 + 2 * padding - kernel) / stride + 1, s.OutputWidth);
    }

    [Fact]
    public void Impossible_shapes_and_short_buffers_are_refused_with_what_is_wrong()
    {
        var tooBig = Assert.Throws<ArgumentException>(() => new Conv2dShape(1, 1, 3, 3, 1, 5, 5, stride: 1, padding: 0));
        Assert.Contains("5×5 kernel is larger than the 3×3 input padded by 0", tooBig.Message);
        Assert.Contains("stride", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 1, 3, 3, 1, 3, 3, stride: 0)).Message);
        Assert.Contains("padding", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 1, 3, 3, 1, 3, 3, padding: -1)).Message);
        Assert.Contains("filters", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 1, 3, 3, 0, 3, 3)).Message);
        Assert.Contains("more than an array can", Assert.Throws<ArgumentException>(() => new Conv2dShape(1 << 16, 1 << 8, 1 << 8, 1 << 8, 1, 1, 1)).Message);
        Assert.Contains("default Conv2dShape", Assert.Throws<ArgumentException>(() => Convolution.Forward<Relu>(new float[1], new float[1], new float[1], new float[1], default)).Message);

        var s = new Conv2dShape(2, 3, 7, 5, 4, 3, 3, stride: 2);
        var (x, w, b, y) = (new float[s.Batch * s.InputSize], new float[s.WeightCount], new float[s.Filters], new float[s.Batch * s.OutputSize]);
        Assert.Contains("x holds 209 floats, the shape needs 210", Assert.Throws<ArgumentException>(() => Convolution.Forward<Relu>(x.AsSpan(1), w, b, y, s)).Message);
        Assert.Contains("b holds 3 floats", Assert.Throws<ArgumentException>(() => Convolution.Forward<Relu>(x, w, b.AsSpan(1), y, s)).Message);
        Assert.Contains("dW holds", Assert.Throws<ArgumentException>(() => Convolution.WeightGradient(x, y, w.AsSpan(1), b, s)).Message);
        Assert.Contains("y_below holds", Assert.Throws<ArgumentException>(() => Convolution.InputGradient<Relu>(y, w, x.AsSpan(1), x, s)).Message);
        Assert.Equal(new Conv2dShape(1, 3, 7, 5, 4, 3, 3, stride: 2), s.WithBatch(1));
        Assert.Equal("2×3×7×5 ∗ 4×3×3×3 stride 2 padding 0 → 2×4×3×2", s.ToString());
    }
}
