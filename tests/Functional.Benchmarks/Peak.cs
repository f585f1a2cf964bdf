// What "peak" means on the machine at hand: FMA throughput from a register-only loop, and the rate our big products reach.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Functional.Kernels;

namespace Functional.Benchmarks;

/// <summary>
/// The roofline's ceiling, measured rather than quoted: twelve independent FMA chains (more than latency × ports,
/// 4 cycles × 2 pipes on Zen 3), so the loop runs at the FMA units' throughput. Run on the widest width the CPU
/// accelerates, since that is what the kernels use.
/// </summary>
public static class Peak
{
    public static int Run()
    {
        Console.WriteLine($"CPU width {Cpu.Best}, Vector512 accelerated: {Vector512.IsHardwareAccelerated}, Vector256: {Vector256.IsHardwareAccelerated}");
        Console.WriteLine($"FMA peak, one core: {FmaGflops():F1} GFLOP/s (best of 7)");
        foreach (var r in KernelRates.Measure(runs: 9))
            Console.WriteLine(r);
        return 0;
    }

    /// <summary>
    /// How many cores' worth of FMA throughput two threads get right now: the two threads' combined rate (wall clock,
    /// run at once) over one thread's alone. About 2 when the guest's two vCPUs sit on two physical cores; about 1
    /// when the host has put them on the two hyperthreads of one core (or time-slices them), which it does for minutes
    /// at a time here. Two-thread timings mean little without it.
    /// </summary>
    public static double TwoThreadCores(long iterations = 2_000_000)
    {
        double Rate() => ChainsGflops(iterations, () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency);
        double alone = Math.Max(Rate(), Rate());
        double first = 0, second = 0;
        var other = new Thread(() => second = Rate());
        other.Start();
        first = Rate();
        other.Join();
        return (first + second) / alone;
    }

    /// <summary>Best of <paramref name="rounds"/> runs of the FMA chains, in GFLOP/s of the calling thread's on-CPU time.</summary>
    public static double FmaGflops(int rounds = 7, long iterations = 4_000_000)
    {
        double best = 0;
        for (int run = 0; run < rounds; run++) best = Math.Max(best, ChainsGflops(iterations, ThreadClock.Now));
        return best;
    }

    /// <summary>One run of the twelve FMA chains at the widest width, in GFLOP/s by <paramref name="seconds"/>' clock.</summary>
    private static double ChainsGflops(long iterations, Func<double> seconds)
    {
        double start = seconds();
        float sink = Cpu.Best == Isa.Vector512 ? Chains<Simd512, Vector512<float>>(iterations) : Chains<Simd256, Vector256<float>>(iterations);
        double elapsed = seconds() - start;
        GC.KeepAlive(sink);
        return iterations * 12.0 * (Cpu.Best == Isa.Vector512 ? 16 : 8) * 2 / elapsed / 1e9;
    }

    /// <summary>Twelve independent FMA chains, one vector each, for <paramref name="iterations"/> rounds; returns a lane so none is optimised away.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Chains<TS, TV>(long iterations) where TS : ISimd<TV> where TV : struct
    {
        TV m = TS.Broadcast(0.999999f), c = TS.Broadcast(1e-7f);
        TV a0 = TS.Broadcast(1f), a1 = TS.Add(a0, a0), a2 = TS.Add(a1, a0), a3 = TS.Add(a2, a0), a4 = TS.Add(a3, a0), a5 = TS.Add(a4, a0);
        TV a6 = TS.Add(a5, a0), a7 = TS.Add(a6, a0), a8 = TS.Add(a7, a0), a9 = TS.Add(a8, a0), a10 = TS.Add(a9, a0), a11 = TS.Add(a10, a0);
        for (long i = 0; i < iterations; i++)
        {
            a0 = TS.MultiplyAdd(a0, m, c); a1 = TS.MultiplyAdd(a1, m, c);
            a2 = TS.MultiplyAdd(a2, m, c); a3 = TS.MultiplyAdd(a3, m, c);
            a4 = TS.MultiplyAdd(a4, m, c); a5 = TS.MultiplyAdd(a5, m, c);
            a6 = TS.MultiplyAdd(a6, m, c); a7 = TS.MultiplyAdd(a7, m, c);
            a8 = TS.MultiplyAdd(a8, m, c); a9 = TS.MultiplyAdd(a9, m, c);
            a10 = TS.MultiplyAdd(a10, m, c); a11 = TS.MultiplyAdd(a11, m, c);
        }
        TV sum = TS.Add(TS.Add(TS.Add(TS.Add(a0, a1), TS.Add(a2, a3)), TS.Add(TS.Add(a4, a5), TS.Add(a6, a7))), TS.Add(TS.Add(a8, a9), TS.Add(a10, a11)));
        float* lanes = stackalloc float[16];
        TS.Store(lanes, sum);
        return lanes[0];
    }
}

/// <summary>
/// One product's measured rate. Each run times the product (thread on-CPU time, CLOCK_THREAD_CPUTIME_ID, which
/// time slices lost to other tenants do not inflate) right beside a short FMA-peak probe, so a clock that drifts
/// during the measurement (a shared host) moves both; the fraction of peak is the median of the per-run ratios.
/// </summary>
public sealed record KernelRate(string Name, int M, int K, int N, double Seconds, double WallSeconds, double Peak, double FractionOfPeak, double BestFraction)
{
    public double Gflops => 2.0 * M * K * N / Seconds / 1e9;
    public override string ToString() =>
        $"{Name,-30} {M}×{K}×{N}: {Seconds * 1e6,7:F1} µs on-CPU ({WallSeconds * 1e6,7:F1} µs wall), {Gflops,5:F1} GFLOP/s; " +
        $"{FractionOfPeak,6:P1} of the FMA peak beside it ({Peak:F1} GFLOP/s), best run {BestFraction:P1}";
}

/// <summary>The calling thread's CPU time, from the kernel: immune to time slices given to other processes.</summary>
public static class ThreadClock
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private const int ThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>Seconds of CPU this thread has used; falls back to wall-clock time where the call is unavailable.</summary>
    public static double Now()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuTime, out var t) == 0) return t.Seconds + t.Nanoseconds * 1e-9;
        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }
}

/// <summary>The 784×256 layer's three products at batch 256 on one thread, medians of several timed runs.</summary>
public static unsafe class KernelRates
{
    public const int Batch = 256, Inputs = 784, Outputs = 256;

    public static IReadOnlyList<KernelRate> Measure(int runs)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = 1;
        try
        {
            var x = Buffer(Batch * Inputs, 1); var w = Buffer(Inputs * Outputs, 2); var b = Buffer(Outputs, 3);
            var y = Buffer(Batch * Outputs, 4); var dz = Buffer(Batch * Outputs, 5); var dw = Buffer(Inputs * Outputs, 6);
            var dx = Buffer(Batch * Inputs, 8); var below = Buffer(Batch * Inputs, 9);
            fixed (float* px = x, pw = w, pb = b, py = y, pdz = dz, pdw = dw, pdx = dx, pbelow = below)
            {
                float* cx = px, cw = pw, cb = pb, cy = py, cdz = pdz, cdw = pdw, cdx = pdx, cbelow = pbelow;
                return
                [
                    Rate("forward x·W + b, ReLU", Batch, Inputs, Outputs, runs, () => Gemm.Forward<Relu>(cx, cw, cb, cy, Batch, Inputs, Outputs)),
                    Rate("weight gradient xᵀ·dz", Inputs, Batch, Outputs, runs, () => Gemm.WeightGradient(cx, cdz, cdw, Batch, Inputs, Outputs)),
                    Rate("input gradient dz·Wᵀ ⊙ ReLU′", Batch, Outputs, Inputs, runs, () => Gemm.InputGradient<Relu>(cdz, cw, cbelow, cdx, Batch, Inputs, Outputs)),
                ];
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static float[] Buffer(int n, int seed)
    {
        var random = new SeededRandom(seed);
        var values = GC.AllocateArray<float>(n, pinned: true);
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() - 0.5);
        return values;
    }

    private static KernelRate Rate(string name, int m, int k, int n, int runs, Action product)
    {
        for (int i = 0; i < 20; i++) product(); // reach the optimised tier
        var cpu = new double[runs];
        var wall = new double[runs];
        var peaks = new double[runs];
        var fractions = new double[runs];
        const int repeats = 20;
        double flops = 2.0 * m * k * n;
        for (int run = 0; run < runs; run++)
        {
            peaks[run] = Peak.FmaGflops(rounds: 3, iterations: 1_000_000);
            double start = ThreadClock.Now();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++) product();
            wall[run] = clock.Elapsed.TotalSeconds / repeats;
            cpu[run] = (ThreadClock.Now() - start) / repeats;
            fractions[run] = flops / cpu[run] / 1e9 / peaks[run];
        }
        return new KernelRate(name, m, k, n, Median(cpu), Median(wall), Median(peaks), Median(fractions), fractions.Max());
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
