// Gemm against the naive double-precision reference at every width, on awkward shapes, for each of its three uses.
using System.Collections.Concurrent;
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

public enum Act { Identity, Relu }

public sealed unsafe class GemmTests(ITestOutputHelper output)
{
    /// <summary>1, below a vector, between vector widths, and one off either side of a multiple of every width.</summary>
    private static readonly int[] Sizes = [1, 7, 17, 255, 257];

    /// <summary>
    /// Scalar and Vector256 (this machine's widest hardware path) run every combination with at most two sides
    /// in {255, 257}. The 255/257 cubes are 16-million-term products whose double-precision references would be
    /// most of the run time, and they add no tile or tail case a shape with two large sides lacks; the 257 cube
    /// runs once, at the two widths with the widest tiles.
    /// </summary>
    private static bool Cube(int m, int k, int n) => m > 17 && k > 17 && n > 17;

    /// <summary>
    /// The emulated Vector512 (slow) and Vector128 get a sparse selection: the small diagonal plus shapes that put
    /// 1 and 255/257 in each of M, K and N, so every tile kind and every tail width still runs.
    /// </summary>
    private static readonly (int M, int K, int N)[] Sparse =
    [
        (1, 1, 1), (7, 7, 7), (17, 17, 17), (257, 257, 17), (255, 17, 255), (17, 255, 257),
        (1, 257, 255), (257, 1, 17), (7, 255, 1), (17, 7, 257), (255, 17, 7), (257, 255, 1), (255, 1, 257), (1, 17, 255),
    ];

    public static TheoryData<Isa, int, int, int> Shapes()
    {
        var data = new TheoryData<Isa, int, int, int>();
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector256 })
            foreach (int m in Sizes) foreach (int k in Sizes) foreach (int n in Sizes)
                if (!Cube(m, k, n)) data.Add(isa, m, k, n);
        foreach (var isa in new[] { Isa.Vector128, Isa.Vector512 })
            foreach (var (m, k, n) in Sparse)
                data.Add(isa, m, k, n);
        data.Add(Isa.Vector256, 257, 257, 257);
        data.Add(Isa.Vector512, 257, 257, 257);
        return data;
    }

    public static TheoryData<Isa, int, int, int, Act> ShapesWithActivation()
    {
        var data = new TheoryData<Isa, int, int, int, Act>();
        foreach (var row in Shapes())
            foreach (var act in new[] { Act.Identity, Act.Relu })
                data.Add((Isa)row[0], (int)row[1], (int)row[2], (int)row[3], act);
        return data;
    }

    /// <summary>Reference products shared between widths and activations: the double-precision loop dominates the run time.</summary>
    private static readonly ConcurrentDictionary<(string Use, int M, int K, int N), Lazy<float[]>> products = new();

    private static float[] ReferenceProduct(string use, int m, int k, int n, Func<float[]> compute)
        => products.GetOrAdd((use, m, k, n), _ => new Lazy<float[]>(compute)).Value;

    private static long Seed(int m, int k, int n) => 1_000_000L * m + 1_000L * k + n;

    /// <summary>|Δ| ≤ 1e-5·K·max|a|·max|b| + 1e-6: rounding grows with the number of terms summed in float.</summary>
    private static double Tolerance(int k, float maxA, float maxB) => 1e-5 * k * maxA * maxB + 1e-6;

    private void Check(string what, Isa isa, int m, int k, int n, ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance)
    {
        double max = Compare.MaxDifference(actual, expected, out int worst);
        string report = $"{what} at {isa}, M×K×N = {m}×{k}×{n}: max |Δ| = {max:E3} at [{worst / n}, {worst % n}] (tolerance {tolerance:E3})";
        output.WriteLine($"MAXDIFF {isa} {what} {max:E3}");
        Assert.True(max <= tolerance, report);
    }

    [Theory]
    [MemberData(nameof(ShapesWithActivation))]
    public void Forward_is_x_times_W_plus_bias_through_the_activation(Isa isa, int m, int k, int n, Act act)
    {
        int batch = m, inputs = k, outputs = n;
        long seed = Seed(m, k, n);
        float[] x = Fill.Uniform(batch * inputs, seed + 1), w = Fill.Uniform(inputs * outputs, seed + 2), b = Fill.Uniform(outputs, seed + 3);
        var product = ReferenceProduct("x·W", m, k, n, () => Reference.MatMul(x, w, batch, inputs, outputs));
        var expected = new double[batch * outputs];
        for (int i = 0; i < expected.Length; i++)
        {
            double z = (double)product[i] + b[i % outputs];
            expected[i] = act == Act.Relu ? Reference.Relu(z) : z;
        }

        Guarded gx = new(x), gw = new(w), gb = new(b), gy = new(batch * outputs);
        using (Cpu.Pin(isa))
        {
            if (act == Act.Relu) Gemm.Forward<Relu>(gx.Pointer, gw.Pointer, gb.Pointer, gy.Pointer, batch, inputs, outputs);
            else Gemm.Forward<Identity>(gx.Pointer, gw.Pointer, gb.Pointer, gy.Pointer, batch, inputs, outputs);
        }

        Check($"Forward<{act}>", isa, m, k, n, gy.Span, expected, Tolerance(k, Fill.MaxAbs(x), Fill.MaxAbs(w)));
        gy.AssertGuardsIntact("y");
        AssertUnchanged(gx, x, "x"); AssertUnchanged(gw, w, "W"); AssertUnchanged(gb, b, "b");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradient_is_x_transposed_times_dz(Isa isa, int m, int k, int n)
    {
        int inputs = m, batch = k, outputs = n;
        long seed = Seed(m, k, n);
        float[] x = Fill.Uniform(batch * inputs, seed + 4), dz = Fill.Uniform(batch * outputs, seed + 5, scale: 0.25f);
        var expected = Compare.Widen(ReferenceProduct("xᵀ·dz", m, k, n,
            () => Reference.MatMul(Reference.Transpose(x, batch, inputs), dz, inputs, batch, outputs)));

        Guarded gx = new(x), gdz = new(dz), gdw = new(inputs * outputs);
        using (Cpu.Pin(isa)) Gemm.WeightGradient(gx.Pointer, gdz.Pointer, gdw.Pointer, batch, inputs, outputs);

        Check("WeightGradient", isa, m, k, n, gdw.Span, expected, Tolerance(k, Fill.MaxAbs(x), Fill.MaxAbs(dz)));
        gdw.AssertGuardsIntact("dW");
        AssertUnchanged(gx, x, "x"); AssertUnchanged(gdz, dz, "dz");
    }

    [Theory]
    [MemberData(nameof(ShapesWithActivation))]
    public void InputGradient_is_dz_times_W_transposed_masked_by_the_activation_below(Isa isa, int m, int k, int n, Act act)
    {
        int batch = m, outputs = k, inputs = n;
        long seed = Seed(m, k, n);
        float[] dz = Fill.Uniform(batch * outputs, seed + 6, scale: 0.25f), w = Fill.Uniform(inputs * outputs, seed + 7);
        float[] below = Fill.ReluOutputs(batch * inputs, seed + 8);
        var product = ReferenceProduct("dz·Wᵀ", m, k, n, () => Reference.MatMul(dz, Reference.Transpose(w, inputs, outputs), batch, outputs, inputs));
        var expected = new double[batch * inputs];
        for (int i = 0; i < expected.Length; i++)
            expected[i] = act == Act.Relu && !(below[i] > 0) ? 0 : product[i];

        Guarded gdz = new(dz), gw = new(w), gbelow = new(below), gdx = new(batch * inputs);
        using (Cpu.Pin(isa))
        {
            if (act == Act.Relu) Gemm.InputGradient<Relu>(gdz.Pointer, gw.Pointer, gbelow.Pointer, gdx.Pointer, batch, inputs, outputs);
            else Gemm.InputGradient<Identity>(gdz.Pointer, gw.Pointer, gbelow.Pointer, gdx.Pointer, batch, inputs, outputs);
        }

        Check($"InputGradient<{act}>", isa, m, k, n, gdx.Span, expected, Tolerance(k, Fill.MaxAbs(dz), Fill.MaxAbs(w)));
        gdx.AssertGuardsIntact("dx"); gw.AssertGuardsIntact("W");
        AssertUnchanged(gdz, dz, "dz"); AssertUnchanged(gw, w, "W"); AssertUnchanged(gbelow, below, "below");
    }

    public static TheoryData<int, int> BatchByOutputs()
    {
        var data = new TheoryData<int, int>();
        foreach (int b in Sizes) foreach (int o in Sizes) data.Add(b, o);
        return data;
    }

    [Theory]
    [MemberData(nameof(BatchByOutputs))]
    public void BiasGradient_is_the_column_sum_of_dz(int batch, int outputs)
    {
        float[] dz = Fill.Uniform(batch * outputs, Seed(batch, outputs, 9));
        var expected = new double[outputs];
        for (int row = 0; row < batch; row++)
            for (int o = 0; o < outputs; o++) expected[o] += dz[row * outputs + o];

        Guarded gdz = new(dz), gdb = new(outputs);
        Gemm.BiasGradient(gdz.Pointer, gdb.Pointer, batch, outputs);

        double max = Compare.MaxDifference(gdb.Span, expected, out int worst);
        double tolerance = 1e-6 * batch * Fill.MaxAbs(dz) + 1e-7;
        Assert.True(max <= tolerance, $"BiasGradient {batch}×{outputs}: max |Δ| = {max:E3} at column {worst} (tolerance {tolerance:E3})");
        gdb.AssertGuardsIntact("db");
        AssertUnchanged(gdz, dz, "dz");
    }

    public static TheoryData<Isa> AllWidths()
    {
        var data = new TheoryData<Isa>();
        foreach (var isa in Widths.All) data.Add(isa);
        return data;
    }

    /// <summary>
    /// C as a window of a wider matrix (ldc &gt; n): the padding between rows must survive every tile and tail store.
    /// 61 columns = 32 + 16 + 8 + 4 + 1, so at Vector512 every tile width stores once.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllWidths))]
    public void Multiply_into_a_strided_window_writes_only_the_window(Isa isa)
    {
        const int m = 9, k = 5, n = 61, ldc = n + 7;
        float[] a = Fill.Uniform(m * k, 11), b = Fill.Uniform(k * n, 12);
        var expected = Compare.Widen(Reference.MatMul(a, b, m, k, n));
        Guarded ga = new(a), gb = new(b), gc = new(m * ldc);

        using (Cpu.Pin(isa)) Gemm.Multiply(ga.Pointer, k, 1, gb.Pointer, n, gc.Pointer, ldc, m, k, n, new Plain());

        var window = new float[m * n];
        for (int row = 0; row < m; row++)
        {
            gc.Span.Slice(row * ldc, n).CopyTo(window.AsSpan(row * n));
            foreach (var padding in gc.Span.Slice(row * ldc + n, ldc - n))
                Assert.True(BitConverter.SingleToInt32Bits(padding) == BitConverter.SingleToInt32Bits(Guarded.Sentinel),
                            $"{isa}: padding after row {row} was overwritten with {padding}");
        }
        Check("Multiply (strided C)", isa, m, k, n, window, expected, Tolerance(k, Fill.MaxAbs(a), Fill.MaxAbs(b)));
        gc.AssertGuardsIntact("C");
    }

    private static void AssertUnchanged(Guarded buffer, float[] original, string name)
    {
        Assert.True(buffer.Span.SequenceEqual(original), $"the input {name} was modified");
        buffer.AssertGuardsIntact(name);
    }
}
