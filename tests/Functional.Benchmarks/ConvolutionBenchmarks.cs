// The reference CNN's convolution and pooling layers at batch 64: a BenchmarkDotNet suite, and `conv`, a quick table of on-CPU rates beside the FMA peak.
using System.Diagnostics;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Functional.Kernels;

namespace Functional.Benchmarks;

/// <summary>The reference CNN's layers (issue 16): conv 16 5×5 pad 2 on 1×28×28, max-pool 2, conv 32 5×5 pad 2 on 16×14×14, max-pool 2.</summary>
public static class CnnLayers
{
    public const int Batch = 64;
    public static Conv2dShape Conv1(int batch = Batch) => new(batch, 1, 28, 28, 16, 5, 5, stride: 1, padding: 2);
    public static Conv2dShape Conv2(int batch = Batch) => new(batch, 16, 14, 14, 32, 5, 5, stride: 1, padding: 2);
    public static Pool2dShape Pool1(int batch = Batch) => new(batch, 16, 28, 28, 2);
    public static Pool2dShape Pool2(int batch = Batch) => new(batch, 32, 14, 14, 2);

    public static float[] Buffer(int n, int seed)
    {
        var random = new SeededRandom(seed);
        var values = GC.AllocateArray<float>(n, pinned: true);
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() - 0.5);
        return values;
    }
}

/// <summary>Each pass of the reference CNN's convolutions and pools; GFLOP/s = <see cref="Conv2dShape.ForwardFlops"/> / mean.</summary>
[MemoryDiagnoser]
public class ConvolutionBenchmarks
{
    [Params(1, 2)] public int Threads;

    private readonly Conv2dShape conv1 = CnnLayers.Conv1(), conv2 = CnnLayers.Conv2();
    private readonly Pool2dShape pool1 = CnnLayers.Pool1();
    private float[] x1 = [], w1 = [], b1 = [], y1 = [], dw1 = [], db1 = [], p1 = [], dp1 = [];
    private float[] w2 = [], b2 = [], y2 = [], dz2 = [], dw2 = [], db2 = [], dx2 = [];
    private int[] indices = [];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads;
        x1 = CnnLayers.Buffer(conv1.Batch * conv1.InputSize, 1); w1 = CnnLayers.Buffer(conv1.WeightCount, 2); b1 = CnnLayers.Buffer(16, 3);
        y1 = CnnLayers.Buffer(conv1.Batch * conv1.OutputSize, 4); dw1 = new float[w1.Length]; db1 = new float[16];
        p1 = CnnLayers.Buffer(pool1.Batch * pool1.OutputSize, 5); dp1 = new float[y1.Length]; indices = new int[p1.Length];
        w2 = CnnLayers.Buffer(conv2.WeightCount, 6); b2 = CnnLayers.Buffer(32, 7); y2 = new float[conv2.Batch * conv2.OutputSize];
        dz2 = CnnLayers.Buffer(y2.Length, 8); dw2 = new float[w2.Length]; db2 = new float[32]; dx2 = new float[p1.Length];
    }

    [Benchmark(Description = "conv1 forward, ReLU")] public void Conv1Forward() => Convolution.Forward<Relu>(x1, w1, b1, y1, conv1);
    [Benchmark(Description = "conv1 dW, db")] public void Conv1WeightGradient() => Convolution.WeightGradient(x1, y1, dw1, db1, conv1);
    [Benchmark(Description = "pool1 max forward")] public void Pool1Forward() => MaxPool2d.Forward(y1, p1, indices, pool1);
    [Benchmark(Description = "pool1 max backward ⊙ ReLU′")] public void Pool1Backward() => MaxPool2d.Backward<Relu>(p1, indices, y1, dp1, pool1);
    [Benchmark(Description = "conv2 forward, ReLU")] public void Conv2Forward() => Convolution.Forward<Relu>(p1, w2, b2, y2, conv2);
    [Benchmark(Description = "conv2 dW, db")] public void Conv2WeightGradient() => Convolution.WeightGradient(p1, dz2, dw2, db2, conv2);
    [Benchmark(Description = "conv2 dx ⊙ ReLU′")] public void Conv2InputGradient() => Convolution.InputGradient<Relu>(dz2, w2, p1, dx2, conv2);
}

/// <summary>
/// `conv [runs]`: every pass of the reference CNN's layers at batch 64, timed on one thread by the thread's CPU clock
/// (so time slices lost to other tenants do not count) beside a short FMA-peak probe in each run, then on two threads by
/// the wall clock; medians of the runs, with the load average printed first, because on this shared machine a figure
/// taken under load means little.
/// </summary>
public static unsafe class ConvolutionRates
{
    private sealed record Pass(string Name, long Flops, Action Run);

    public static int Run(int runs)
    {
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}; CPU width {Cpu.Best}; {Environment.ProcessorCount} cores");
        var passes = Passes();
        int saved = Parallelism.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.Threads = threads;
                Console.WriteLine(threads == 1 ? "one thread, on-CPU time:" : "two threads, wall time:");
                foreach (var pass in passes)
                {
                    for (int i = 0; i < 10; i++) pass.Run();
                    var (seconds, peak) = Time(pass.Run, runs, onCpu: threads == 1);
                    string rate = pass.Flops > 0 ? $"{pass.Flops / seconds / 1e9,6:F1} GFLOP/s" + (threads == 1 ? $", {pass.Flops / seconds / 1e9 / peak,5:P0} of the FMA peak ({peak:F0})" : "") : "";
                    Console.WriteLine($"  {pass.Name,-44} {seconds * 1e6,8:F0} µs  {rate}");
                }
            }
        }
        finally { Parallelism.Threads = saved; }
        Lowerings(runs);
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>The reference CNN's layers, then neighbours of them (more filters, more channels, 3 × 3, CIFAR's 3 × 32 × 32) to see the trend.</summary>
    private static Conv2dShape[] ComparedShapes() =>
    [
        CnnLayers.Conv1(), CnnLayers.Conv2(), CnnLayers.Conv2(1),
        new(64, 1, 28, 28, 32, 5, 5, 1, 2), new(64, 16, 14, 14, 16, 5, 5, 1, 2), new(64, 3, 32, 32, 32, 3, 3, 1, 1), new(64, 32, 7, 7, 64, 3, 3, 1, 1),
    ];

    /// <summary>
    /// The forward under each lowering, then the weight gradient in each orientation, interleaved call by call on one
    /// thread (so load on the host moves all alike): medians of each, and of each one's ratio to the first within the
    /// same round.
    /// </summary>
    private static void Lowerings(int runs)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = 1;
        var lowerings = Enum.GetValues<Convolution.Lowering>();
        var orientations = Enum.GetValues<Convolution.WeightGradientOrientation>();
        int panel = Convolution.PanelFloats(Cpu.Best);
        try
        {
            Console.WriteLine($"forward lowerings, one thread, on-CPU µs, interleaved rounds (ratio to {lowerings[0]} < 1: faster):");
            foreach (var s in ComparedShapes())
                WithBuffers(s, (x, w, b, y) => Interleaved(s, runs, [.. lowerings.Select(l => l.ToString())],
                    [.. lowerings.Select(l => (Action)(() => Convolution.Forward((float*)x, (float*)w, (float*)b, (float*)y, s, default(Relu), l)))],
                    $"the forward takes {Convolution.ForwardLowering(s, panel)}"));
            Console.WriteLine($"weight-gradient orientations (dW and db), one thread, on-CPU µs, interleaved rounds (ratio to {orientations[0]} < 1: faster):");
            foreach (var s in ComparedShapes())
                // y is dz here, w receives dW and b db.
                WithBuffers(s, (x, w, b, y) => Interleaved(s, runs, [.. orientations.Select(o => o.ToString())],
                    [.. orientations.Select(o => (Action)(() => Convolution.WeightGradient((float*)x, (float*)y, (float*)w, (float*)b, s, o)))],
                    $"the weight gradient takes {Convolution.WeightGradientLayout(s, panel)}"));
        }
        finally { Parallelism.Threads = saved; }
    }

    /// <summary>Pinned x, W, b and y buffers of a shape's sizes, seeded, for the span of <paramref name="use"/>.</summary>
    private static void WithBuffers(Conv2dShape s, Action<nint, nint, nint, nint> use)
    {
        float[] x = CnnLayers.Buffer(s.Batch * s.InputSize, 1), w = CnnLayers.Buffer(s.WeightCount, 2), b = CnnLayers.Buffer(s.Filters, 3);
        float[] y = CnnLayers.Buffer(s.Batch * s.OutputSize, 4);
        fixed (float* px = x, pw = w, pb = b, py = y) use((nint)px, (nint)pw, (nint)pb, (nint)py);
    }

    /// <summary>One line: each variant's median on-CPU time and its median ratio (with quartiles) to the first's in the same round.</summary>
    private static void Interleaved(Conv2dShape s, int runs, string[] names, Action[] passes, string chosen)
    {
        for (int i = 0; i < 10; i++) foreach (var pass in passes) pass();
        int rounds = 4 * runs, repeats = s.Batch == 1 ? 50 : 3;
        var times = new double[passes.Length][];
        var ratios = new double[passes.Length][];
        for (int l = 0; l < passes.Length; l++) { times[l] = new double[rounds]; ratios[l] = new double[rounds]; }
        for (int i = 0; i < rounds; i++)
        {
            for (int l = 0; l < passes.Length; l++) times[l][i] = Once(passes[l], repeats);
            for (int l = 0; l < passes.Length; l++) ratios[l][i] = times[l][i] / times[0][i];
        }
        var line = new System.Text.StringBuilder($"  {s.Batch}×{s.Channels}×{s.Height}×{s.Width} ∗ {s.Filters}×{s.KernelHeight}×{s.KernelWidth}:");
        for (int l = 0; l < passes.Length; l++)
        {
            Array.Sort(times[l]); Array.Sort(ratios[l]);
            double t = times[l][rounds / 2];
            line.Append($"  {names[l]} {t * 1e6:F0} ({s.ForwardFlops / t / 1e9:F1} GFLOP/s");
            line.Append(l == 0 ? ")" : $", ×{ratios[l][rounds / 2]:F3}, quartiles {ratios[l][rounds / 4]:F3}–{ratios[l][3 * rounds / 4]:F3})");
        }
        Console.WriteLine(line.Append($"; {rounds} rounds; {chosen}"));
    }

    private static double Once(Action pass, int repeats)
    {
        double start = ThreadClock.Now();
        for (int i = 0; i < repeats; i++) pass();
        return (ThreadClock.Now() - start) / repeats;
    }

    private static Pass[] Passes()
    {
        var (conv1, conv2, pool1, pool2) = (CnnLayers.Conv1(), CnnLayers.Conv2(), CnnLayers.Pool1(), CnnLayers.Pool2());
        var x1 = CnnLayers.Buffer(conv1.Batch * conv1.InputSize, 1);
        var w1 = CnnLayers.Buffer(conv1.WeightCount, 2); var b1 = CnnLayers.Buffer(16, 3);
        var y1 = CnnLayers.Buffer(conv1.Batch * conv1.OutputSize, 4); var dy1 = CnnLayers.Buffer(y1.Length, 5);
        var dw1 = new float[w1.Length]; var db1 = new float[16]; var dx1 = new float[x1.Length];
        var p1 = CnnLayers.Buffer(pool1.Batch * pool1.OutputSize, 6); var i1 = new int[p1.Length];
        var w2 = CnnLayers.Buffer(conv2.WeightCount, 7); var b2 = CnnLayers.Buffer(32, 8);
        var y2 = CnnLayers.Buffer(conv2.Batch * conv2.OutputSize, 9); var dy2 = CnnLayers.Buffer(y2.Length, 10);
        var dw2 = new float[w2.Length]; var db2 = new float[32]; var dx2 = new float[p1.Length];
        var p2 = new float[pool2.Batch * pool2.OutputSize]; var i2 = new int[p2.Length]; var dp2 = new float[y2.Length];
        // With the margin col2im's gather reads either side of dcol.
        int margin = Convolution.Col2ImMargin(conv2);
        var col = GC.AllocateArray<float>(conv2.PatchSize * conv2.OutputPixels + 2 * margin, pinned: true);
        var one = conv2.WithBatch(1);
        var y2one = new float[one.OutputSize];
        return
        [
            new("conv1 forward, ReLU", conv1.ForwardFlops, () => Convolution.Forward<Relu>(x1, w1, b1, y1, conv1)),
            new("conv1 dW, db", conv1.ForwardFlops, () => Convolution.WeightGradient(x1, dy1, dw1, db1, conv1)),
            new("conv1 dx (not needed by the CNN)", conv1.ForwardFlops, () => Convolution.InputGradient(dy1, w1, dx1, conv1)),
            new("pool1 max forward", 0, () => MaxPool2d.Forward(y1, p1, i1, pool1)),
            new("pool1 max backward ⊙ ReLU′", 0, () => MaxPool2d.Backward<Relu>(p1, i1, y1, dy1, pool1)),
            new("conv2 forward, ReLU", conv2.ForwardFlops, () => Convolution.Forward<Relu>(p1, w2, b2, y2, conv2)),
            new("conv2 dW, db", conv2.ForwardFlops, () => Convolution.WeightGradient(p1, dy2, dw2, db2, conv2)),
            new("conv2 dx ⊙ ReLU′", conv2.ForwardFlops, () => Convolution.InputGradient<Relu>(dy2, w2, p1, dx2, conv2)),
            new("pool2 max forward", 0, () => MaxPool2d.Forward(y2, p2, i2, pool2)),
            new("pool2 max backward ⊙ ReLU′", 0, () => MaxPool2d.Backward<Relu>(p2, i2, y2, dp2, pool2)),
            new("conv2 forward, batch 1", one.ForwardFlops, () => Convolution.Forward<Relu>(p1.AsSpan(0, one.InputSize), w2, b2, y2one, one)),
            // At the width the kernels run at: the copies' shapes depend on it (a 14-float row is less than one Vector512).
            new("conv2 pad + im2col alone, 64 images (no FLOPs)", 0, () =>
            {
                fixed (float* px = p1, pc = col)
                    for (int n = 0; n < conv2.Batch; n++)
                        if (Cpu.Best == Isa.Vector512)
                            Convolution.Im2Col<Simd512, Vector512<float>>(Convolution.Pad<Simd512, Vector512<float>>(px + n * conv2.InputSize, conv2, 0, conv2.Channels), conv2, pc, 0, conv2.PatchSize);
                        else
                            Convolution.Im2Col<Simd256, Vector256<float>>(Convolution.Pad<Simd256, Vector256<float>>(px + n * conv2.InputSize, conv2, 0, conv2.Channels), conv2, pc, 0, conv2.PatchSize);
            }),
            new("conv2 col2im ⊙ ReLU′ alone, 64 images (no FLOPs)", 0, () =>
            {
                fixed (float* pdx = dx2, pcol = col, pbelow = p1)
                    for (int n = 0; n < conv2.Batch; n++)
                        if (Cpu.Best == Isa.Vector512)
                            Convolution.Col2Im<Simd512, Vector512<float>, Relu>(pcol + margin, conv2, pdx + n * conv2.InputSize, pbelow + n * conv2.InputSize, default);
                        else
                            Convolution.Col2Im<Simd256, Vector256<float>, Relu>(pcol + margin, conv2, pdx + n * conv2.InputSize, pbelow + n * conv2.InputSize, default);
            }),
        ];
    }

    /// <summary>Median seconds per call over <paramref name="runs"/> runs of a few calls each, and the median FMA peak measured beside them.</summary>
    private static (double Seconds, double Peak) Time(Action pass, int runs, bool onCpu)
    {
        var seconds = new double[runs];
        var peaks = new double[runs];
        const int repeats = 5;
        for (int run = 0; run < runs; run++)
        {
            if (onCpu) peaks[run] = Peak.FmaGflops(rounds: 3, iterations: 500_000);
            double start = ThreadClock.Now();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++) pass();
            seconds[run] = (onCpu ? ThreadClock.Now() - start : clock.Elapsed.TotalSeconds) / repeats;
        }
        Array.Sort(seconds);
        Array.Sort(peaks);
        return (seconds[runs / 2], peaks[runs / 2]);
    }
}
