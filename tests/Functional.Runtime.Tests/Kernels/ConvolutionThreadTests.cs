// Convolution and pooling give the same bits on one, two and three threads, and allocate nothing once warm.
using Functional.Kernels;

namespace Functional.Tests.Kernels;

/// <summary>These change <see cref="Parallelism.Threads"/>, so they run alone (see <see cref="ThreadSettingCollection"/>).</summary>
[Collection(ThreadSettingCollection.Name)]
public sealed class ConvolutionThreadTests
{
    /// <summary>Shapes above the split threshold: by images (batch 8 and 4), inside the product (batch 1), pointwise, strided.</summary>
    private static readonly Conv2dShape[] Split =
    [
        new(8, 1, 28, 28, 16, 5, 5, stride: 1, padding: 2),
        new(4, 16, 14, 14, 32, 5, 5, stride: 1, padding: 2),
        new(1, 16, 14, 14, 32, 5, 5, stride: 1, padding: 2),
        new(6, 8, 23, 21, 19, 3, 3, stride: 2, padding: 1),
        new(4, 32, 16, 16, 24, 1, 1),
        new(13, 1, 28, 28, 16, 5, 5, stride: 1, padding: 2), // more images than weight-gradient groups, unevenly cut
    ];

    public static TheoryData<int, Isa> Cases()
    {
        var data = new TheoryData<int, Isa>();
        for (int i = 0; i < Split.Length; i++)
            foreach (var isa in new[] { Isa.Scalar, Isa.Vector256, Isa.Vector512 }) data.Add(i, isa);
        return data;
    }

    private static T WithThreads<T>(int threads, Func<T> run)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try { return run(); }
        finally { Parallelism.Threads = saved; }
    }

    private static int Mismatch(float[] a, float[] b)
    {
        for (int i = 0; i < a.Length; i++)
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) return i;
        return -1;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convolution_is_bit_for_bit_the_same_on_one_two_and_three_threads(int index, Isa isa)
    {
        var s = Split[index];
        Assert.True(s.ForwardFlops >= Parallelism.MinimumParallelFlops, $"{s} would not be split");
        var (x, w, b) = ConvolutionTests.Data.For(s);
        var dz = Fill.Uniform(s.Batch * s.OutputSize, 5);
        var below = Fill.ReluOutputs(s.Batch * s.InputSize, 6);

        float[] Run()
        {
            var (y, dw, db, dx) = (new float[s.Batch * s.OutputSize], new float[s.WeightCount], new float[s.Filters], new float[s.Batch * s.InputSize]);
            using (Cpu.Pin(isa))
            {
                Convolution.Forward<Relu>(x, w, b, y, s);
                Convolution.WeightGradient(x, dz, dw, db, s);
                Convolution.InputGradient<Relu>(dz, w, below, dx, s);
            }
            return [.. y, .. dw, .. db, .. dx];
        }

        var one = WithThreads(1, Run);
        var two = WithThreads(2, Run);
        var three = WithThreads(3, Run);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{s} at {isa}: 2 threads differ from 1 at {Mismatch(one, two)} (y, dW, db, dx concatenated)");
        Assert.True(one.AsSpan().SequenceEqual(three), $"{s} at {isa}: 3 threads differ from 1 at {Mismatch(one, three)}");
    }

    public static TheoryData<int, Isa, int> CasesByOrientation()
    {
        var data = new TheoryData<int, Isa, int>();
        foreach (var row in Cases())
            foreach (var orientation in Enum.GetValues<Convolution.WeightGradientOrientation>())
                data.Add((int)row[0], (Isa)row[1], (int)orientation);
        return data;
    }

    /// <summary>Each orientation of the weight gradient, whichever the shape would choose: its split (rows of dWᵀ, or groups of images) changes no bit.</summary>
    [Theory]
    [MemberData(nameof(CasesByOrientation))]
    public unsafe void Each_weight_gradient_orientation_is_bit_for_bit_the_same_on_one_two_and_three_threads(int index, Isa isa, int orientationNumber)
    {
        var orientation = (Convolution.WeightGradientOrientation)orientationNumber;
        var s = Split[index];
        var (x, _, _) = ConvolutionTests.Data.For(s);
        var dz = Fill.Uniform(s.Batch * s.OutputSize, 15);

        float[] Run()
        {
            var (dw, db) = (new float[s.WeightCount], new float[s.Filters]);
            fixed (float* px = x, pdz = dz, pdw = dw, pdb = db)
                using (Cpu.Pin(isa)) Convolution.WeightGradient(px, pdz, pdw, pdb, s, orientation);
            return [.. dw, .. db];
        }

        var one = WithThreads(1, Run);
        var two = WithThreads(2, Run);
        var three = WithThreads(3, Run);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{s} at {isa}, {orientation}: 2 threads differ from 1 at {Mismatch(one, two)} (dW, db concatenated)");
        Assert.True(one.AsSpan().SequenceEqual(three), $"{s} at {isa}, {orientation}: 3 threads differ from 1 at {Mismatch(one, three)}");
    }

    [Fact]
    public void Pooling_is_bit_for_bit_the_same_on_one_two_and_three_threads()
    {
        var s = new Pool2dShape(8, 16, 28, 28, 3, stride: 2); // overlapping: backward adds
        var x = Fill.Uniform(s.Batch * s.InputSize, 7);
        var dy = Fill.Uniform(s.Batch * s.OutputSize, 8);
        var below = Fill.ReluOutputs(x.Length, 9);
        float[] Run()
        {
            var (y, indices, dx, avg, dAvg) = (new float[dy.Length], new int[dy.Length], new float[x.Length], new float[dy.Length], new float[x.Length]);
            MaxPool2d.Forward(x, y, indices, s);
            MaxPool2d.Backward<Relu>(dy, indices, below, dx, s);
            AvgPool2d.Forward(x, avg, s);
            AvgPool2d.Backward<Relu>(dy, below, dAvg, s);
            return [.. y, .. indices.Select(i => (float)i), .. dx, .. avg, .. dAvg];
        }
        var one = WithThreads(1, Run);
        Assert.Equal(one, WithThreads(2, Run));
        Assert.Equal(one, WithThreads(3, Run));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Steady_state_convolution_and_pooling_allocate_nothing_on_the_calling_thread(int threads)
    {
        // The reference CNN's layers at batch 64, its batch-1 inference, and a strided pointwise layer.
        var conv1 = new Conv2dShape(64, 1, 28, 28, 16, 5, 5, stride: 1, padding: 2);
        var conv2 = new Conv2dShape(64, 16, 14, 14, 32, 5, 5, stride: 1, padding: 2);
        var pool1 = new Pool2dShape(64, 16, 28, 28, 2);
        var one = conv2.WithBatch(1);
        float[] x1 = Fill.Uniform(conv1.Batch * conv1.InputSize, 1), w1 = Fill.Uniform(conv1.WeightCount, 2), b1 = Fill.Uniform(16, 3);
        float[] y1 = new float[conv1.Batch * conv1.OutputSize], p1 = new float[pool1.Batch * pool1.OutputSize], dp1 = new float[y1.Length];
        int[] indices = new int[p1.Length];
        float[] w2 = Fill.Uniform(conv2.WeightCount, 4), b2 = Fill.Uniform(32, 5), y2 = new float[conv2.Batch * conv2.OutputSize];
        float[] dw1 = new float[w1.Length], db1 = new float[16], dw2 = new float[w2.Length], db2 = new float[32];
        float[] y2one = new float[one.OutputSize], dx2 = new float[p1.Length];
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            void Step()
            {
                Convolution.Forward<Relu>(x1, w1, b1, y1, conv1);
                MaxPool2d.Forward(y1, p1, indices, pool1);
                Convolution.Forward<Relu>(p1, w2, b2, y2, conv2);
                Convolution.Forward<Relu>(p1.AsSpan(0, one.InputSize), w2, b2, y2one, one);
                Convolution.WeightGradient(p1, y2, dw2, db2, conv2);
                Convolution.InputGradient<Relu>(y2, w2, p1, dx2, conv2);
                MaxPool2d.Backward<Relu>(p1, indices, y1, dp1, pool1);
                AvgPool2d.Forward(y1, p1, pool1);
                AvgPool2d.Backward(p1, dp1, pool1);
                Convolution.WeightGradient(x1, dp1, dw1, db1, conv1);
            }
            // The first calls grow each thread's scratch and start the workers; the rest let tiered compilation settle.
            for (int i = 0; i < 20; i++) Step();
            Assert.Equal(0, Functional.Tests.AllocationWindows.Measure(() => { for (int i = 0; i < 5; i++) Step(); }));
        }
        finally { Parallelism.Threads = saved; }
    }
}
