// The packed GEMM's internal paths and its threading: direct few-row path, k/m/n blocks, split over threads, no allocations.
using Functional.Kernels;
using Functional.Optimizers;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

/// <summary>
/// GemmTests covers the three products on awkward shapes; these tests aim at the seams inside the kernel that
/// those shapes may not reach: the direct path for one or two rows and its hand-over to the packed path at three,
/// the real layer shapes that cross every block size, and the promise that the number of threads never changes
/// a single bit of the result.
/// Tests here change the process-wide <see cref="Parallelism.Threads"/>, so they run alone (results never depend on
/// it, but the allocation count would see another test's first use of a third worker).
/// </summary>
[Collection(ThreadSettingCollection.Name)]
public sealed unsafe class GemmPathTests(ITestOutputHelper output)
{
    /// <summary>Rows around the direct path's limit; K and N cross the vector widths and the 256-wide blocks.</summary>
    public static TheoryData<Isa, int, int, int> FewRows()
    {
        var data = new TheoryData<Isa, int, int, int>();
        foreach (var isa in Widths.All)
            foreach (int m in new[] { 1, 2, 3 })
                foreach (var (k, n) in new[] { (1, 1), (7, 17), (17, 7), (255, 257), (257, 255), (784, 10) })
                    data.Add(isa, m, k, n);
        return data;
    }

    /// <summary>Layer shapes of the example network (K = 784 takes several k blocks at 256) and blocks' edges ± 1.</summary>
    public static TheoryData<Isa, int, int, int> Blocked()
    {
        var data = new TheoryData<Isa, int, int, int>();
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Vector256, Isa.Vector512 })
            foreach (var (m, k, n) in new[] { (64, 784, 256), (121, 513, 33), (6, 256, 16), (119, 1, 255) })
                data.Add(isa, m, k, n);
        return data;
    }

    /// <summary>
    /// K around the streaming path's depth (rows written one after another for K ≤ 4), with M past the direct path's
    /// two rows and N crossing the vector widths; 784 × 1 × 256 is the batch-1 weight gradient of the example's first layer.
    /// </summary>
    public static TheoryData<Isa, int, int, int> Shallow()
    {
        var data = new TheoryData<Isa, int, int, int>();
        foreach (var isa in Widths.All)
            foreach (var (m, k, n) in new[] { (5, 1, 3), (3, 2, 17), (7, 3, 255), (255, 4, 257), (17, 5, 7), (784, 1, 256), (129, 4, 10) })
                data.Add(isa, m, k, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(FewRows))]
    [MemberData(nameof(Blocked))]
    [MemberData(nameof(Shallow))]
    public void Forward_matches_the_reference(Isa isa, int m, int k, int n)
    {
        float[] x = Fill.Uniform(m * k, 31 + m), w = Fill.Uniform(k * n, 32 + n), b = Fill.Uniform(n, 33);
        var product = Reference.MatMul(x, w, m, k, n);
        var expected = new double[m * n];
        for (int i = 0; i < expected.Length; i++) expected[i] = Reference.Relu((double)product[i] + b[i % n]);

        Guarded gx = new(x), gw = new(w), gb = new(b), gy = new(m * n);
        using (Cpu.Pin(isa)) Gemm.Forward<Relu>(gx.Pointer, gw.Pointer, gb.Pointer, gy.Pointer, m, k, n);

        double max = Compare.MaxDifference(gy.Span, expected, out int worst);
        double tolerance = 1e-5 * k + 1e-6;
        output.WriteLine($"MAXDIFF {isa} Forward {m}×{k}×{n} {max:E3}");
        Assert.True(max <= tolerance, $"Forward<Relu> at {isa}, {m}×{k}×{n}: max |Δ| = {max:E3} at [{worst / n}, {worst % n}] (tolerance {tolerance:E3})");
        gy.AssertGuardsIntact("y");
    }

    [Theory]
    [MemberData(nameof(Shallow))]
    public void Weight_gradient_of_a_small_batch_matches_the_reference(Isa isa, int m, int k, int n)
    {
        int inputs = m, batch = k, outputs = n;
        float[] x = Fill.Uniform(batch * inputs, 61), dz = Fill.Uniform(batch * outputs, 62);
        var expected = Compare.Widen(Reference.MatMul(Reference.Transpose(x, batch, inputs), dz, inputs, batch, outputs));

        Guarded gx = new(x), gdz = new(dz), gdw = new(inputs * outputs);
        using (Cpu.Pin(isa)) Gemm.WeightGradient(gx.Pointer, gdz.Pointer, gdw.Pointer, batch, inputs, outputs);

        double max = Compare.MaxDifference(gdw.Span, expected, out int worst);
        output.WriteLine($"MAXDIFF {isa} WeightGradient {m}×{k}×{n} {max:E3}");
        Assert.True(max <= 1e-5 * k + 1e-6, $"WeightGradient at {isa}, {inputs}×{batch}×{outputs}: max |Δ| = {max:E3} at [{worst / n}, {worst % n}]");
        gdw.AssertGuardsIntact("dW");
    }

    /// <summary>
    /// Batches whose x is past Gemm.PackAAbove: the weight gradient then packs xᵀ block by block. The shapes give last
    /// tiles of four, five and one rows (784, 257 and 229 inputs), several row blocks, and two k blocks (batch 450).
    /// </summary>
    public static TheoryData<Isa, int, int, int, int> LargeBatches()
    {
        var data = new TheoryData<Isa, int, int, int, int>();
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector256, Isa.Vector512 })
            foreach (int threads in new[] { 1, 2, 3 })
            {
                data.Add(isa, threads, 256, 784, 256);
                data.Add(isa, threads, 301, 257, 17);
                data.Add(isa, threads, 450, 229, 40);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(LargeBatches))]
    public void Weight_gradient_of_a_large_batch_equals_the_product_read_in_place_and_the_reference(Isa isa, int threads, int batch, int inputs, int outputs)
    {
        Assert.True((long)batch * inputs > Gemm.PackAAbove, "the shape must take the packing path");
        float[] x = Fill.Uniform(batch * inputs, 71), dz = Fill.Uniform(batch * outputs, 72);
        var packed = new float[inputs * outputs];
        var inPlace = new float[inputs * outputs];

        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            using (Cpu.Pin(isa))
            {
                Gemm.WeightGradient(x, dz, packed, batch, inputs, outputs);
                fixed (float* px = x, pdz = dz, pout = inPlace)
                    Gemm.Multiply(px, 1, inputs, pdz, outputs, pout, outputs, inputs, batch, outputs, new Plain());
            }
        }
        finally { Parallelism.Threads = saved; }

        Assert.True(packed.AsSpan().SequenceEqual(inPlace), $"{isa}, {threads} thread(s), {batch}×{inputs}×{outputs}: packing xᵀ changed element {Mismatch(packed, inPlace)}");
        var expected = Compare.Widen(Reference.MatMul(Reference.Transpose(x, batch, inputs), dz, inputs, batch, outputs));
        double max = Compare.MaxDifference(packed, expected, out _);
        Assert.True(max <= 1e-5 * batch + 1e-6, $"WeightGradient at {isa}, {batch}×{inputs}×{outputs}: max |Δ| = {max:E3}");
    }

    [Theory]
    [MemberData(nameof(FewRows))]
    public void Input_gradient_of_a_few_rows_matches_the_reference(Isa isa, int m, int k, int n)
    {
        int batch = m, outputs = k, inputs = n;
        float[] dz = Fill.Uniform(batch * outputs, 41), w = Fill.Uniform(inputs * outputs, 42), below = Fill.ReluOutputs(batch * inputs, 43);
        var product = Reference.MatMul(dz, Reference.Transpose(w, inputs, outputs), batch, outputs, inputs);
        var expected = new double[batch * inputs];
        for (int i = 0; i < expected.Length; i++) expected[i] = below[i] > 0 ? product[i] : 0;

        Guarded gdz = new(dz), gw = new(w), gbelow = new(below), gdx = new(batch * inputs);
        using (Cpu.Pin(isa)) Gemm.InputGradient<Relu>(gdz.Pointer, gw.Pointer, gbelow.Pointer, gdx.Pointer, batch, inputs, outputs);

        double max = Compare.MaxDifference(gdx.Span, expected, out _);
        output.WriteLine($"MAXDIFF {isa} InputGradient {m}×{k}×{n} {max:E3}");
        Assert.True(max <= 1e-5 * k + 1e-6, $"InputGradient<Relu> at {isa}, {m}×{k}×{n}: max |Δ| = {max:E3}");
        gdx.AssertGuardsIntact("dx");
    }

    /// <summary>Shapes that the thread split really divides: above the work threshold, several panels or strips each.</summary>
    public static TheoryData<Isa, int, int, int> SplitShapes()
    {
        var data = new TheoryData<Isa, int, int, int>();
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector256, Isa.Vector512 })
            foreach (var (m, k, n) in new[] { (64, 784, 256), (1, 784, 257), (2, 300, 131), (257, 64, 129), (40, 255, 1000), (784, 1, 256), (300, 3, 131) })
                data.Add(isa, m, k, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(SplitShapes))]
    public void Every_product_is_bit_for_bit_the_same_on_one_two_and_three_threads(Isa isa, int m, int k, int n)
    {
        float[] a = Fill.Uniform(m * k, 51), b = Fill.Uniform(k * n, 52), bias = Fill.Uniform(n, 53), below = Fill.ReluOutputs(m * n, 54);
        float[] dz = Fill.Uniform(k * n, 55);

        float[] Run(int threads)
        {
            int saved = Parallelism.Threads;
            Parallelism.Threads = threads;
            try
            {
                var y = new float[m * n];
                var dw = new float[m * n];
                var dx = new float[m * n];
                using (Cpu.Pin(isa))
                {
                    Gemm.Forward<Relu>(a, b, bias, y, m, k, n);                   // x [m, k] · W [k, n]
                    Gemm.WeightGradient(a.AsSpan(0, m * k), dz, dw, k, m, n);     // x [k, m]ᵀ · dz [k, n]
                    Gemm.InputGradient<Relu>(a, b, below, dx, m, n, k);       // dz [m, k] · (W [n, k])ᵀ
                }
                return [.. y, .. dw, .. dx];
            }
            finally { Parallelism.Threads = saved; }
        }

        var one = Run(1);
        var two = Run(2);
        var three = Run(3);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{isa} {m}×{k}×{n}: 2 threads differ from 1 at element {Mismatch(one, two)}");
        Assert.True(one.AsSpan().SequenceEqual(three), $"{isa} {m}×{k}×{n}: 3 threads differ from 1 at element {Mismatch(one, three)}");
    }

    [Fact]
    public void The_momentum_pass_is_bit_for_bit_the_same_on_one_and_two_threads()
    {
        const int n = 235_146; // the example network: several parts of the split, and a ragged end
        var gradient = Fill.Uniform(n, 61);
        (float[] Parameters, float[] Velocity) Run(int threads)
        {
            int saved = Parallelism.Threads;
            Parallelism.Threads = threads;
            try
            {
                var optimizer = Sgd.Momentum(0.01f, 0.9f);
                var state = optimizer.Init(n);
                var parameters = Fill.Uniform(n, 62);
                for (int step = 0; step < 3; step++) optimizer.ApplyInPlace(parameters, gradient, state);
                return (parameters, state.Find<VelocityState>()!.Velocity.ToArray());
            }
            finally { Parallelism.Threads = saved; }
        }

        var (p1, v1) = Run(1);
        var (p2, v2) = Run(2);
        Assert.Equal(p1, p2);
        Assert.Equal(v1, v2);
    }

    [Fact]
    public void Callers_on_many_threads_at_once_get_the_single_threaded_result()
    {
        const int m = 64, k = 784, n = 256;
        float[] x = Fill.Uniform(m * k, 71), w = Fill.Uniform(k * n, 72), b = Fill.Uniform(n, 73);
        var expected = new float[m * n];
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            Gemm.Forward<Relu>(x, w, b, expected, m, k, n);
            Parallelism.Threads = 2;
            // The pool serves one caller at a time; the others must run their products themselves, with the same result.
            var results = new float[6][];
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length }, i =>
            {
                var y = new float[m * n];
                for (int repeat = 0; repeat < 5; repeat++) Gemm.Forward<Relu>(x, w, b, y, m, k, n);
                results[i] = y;
            });
            foreach (var y in results) Assert.Equal(expected, y);
        }
        finally { Parallelism.Threads = saved; }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Steady_state_products_allocate_nothing_on_the_calling_thread(int threads)
    {
        const int m = 64, k = 784, n = 256;
        float[] x = Fill.Uniform(m * k, 81), w = Fill.Uniform(k * n, 82), b = Fill.Uniform(n, 83), y = new float[m * n];
        float[] dw = new float[k * n], dx = new float[m * k], one = new float[n];
        var optimizer = Sgd.Momentum(0.01f, 0.9f);
        var state = optimizer.Init(k * n);
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            void Step()
            {
                Gemm.Forward<Relu>(x, w, b, y, m, k, n);
                Gemm.Forward<Relu>(x.AsSpan(0, k), w, b, one, 1, k, n); // the direct path
                Gemm.WeightGradient(x, y, dw, m, k, n);
                Gemm.BiasGradient(y, one, m, n);
                Gemm.InputGradient<Relu>(y, w, x, dx, m, k, n);
                optimizer.ApplyInPlace(dw, dw, state);
            }
            // The first calls make the per-thread packing scratch and the workers; the rest let tiered compilation settle.
            for (int i = 0; i < 60; i++) Step();
            Assert.Equal(0, Functional.Tests.AllocationWindows.Measure(() => { for (int i = 0; i < 20; i++) Step(); }));
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void The_thread_count_refuses_zero_and_keeps_what_it_is_given()
    {
        int saved = Parallelism.Threads;
        try
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.Threads = 0);
            Parallelism.Threads = 3;
            Assert.Equal(3, Parallelism.Threads);
        }
        finally { Parallelism.Threads = saved; }
    }

    private static int Mismatch(float[] a, float[] b)
    {
        for (int i = 0; i < a.Length; i++)
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) return i;
        return -1;
    }
}

/// <summary>Tests that change <see cref="Parallelism.Threads"/> run in this collection, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadSettingCollection
{
    public const string Name = "Parallelism.Threads";
}
