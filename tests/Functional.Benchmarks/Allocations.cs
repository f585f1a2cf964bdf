// `allocations` (also printed by `compare`): the bytes steady-state training steps allocate, for each optimizer path a fold can take.
using System.Diagnostics;
using Functional.Data;
using Functional.Kernels;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// Folds the benchmark network over random batches of Fashion-MNIST's shape and counts the bytes allocated between the
/// 10th and the 110th step of the fold, for SGD momentum and Adam (both fused into backward), Adam with fusion switched
/// off, and a chain that clips by the global norm before Adam (never fused: the clip needs the whole gradient). Each
/// case first folds for half a second to reach the JIT's optimised tier, so what is left is what a step itself allocates.
/// </summary>
public static class Allocations
{
    private const int From = 10, To = 110;

    private static readonly (string Name, Optimizer Optimizer)[] Cases =
    [
        ("SGD momentum 0.9", Sgd.Momentum(0.01f, 0.9f)),
        ("Adam", Optimizer.Adam(1e-3f)),
        ("Adam, Fuse = false", Optimizer.Adam(1e-3f) with { Fuse = false }),
        ("clip by global norm 1 → Adam", Optimizer.Chain(new ClipByGlobalNorm(1f), Optimizer.Adam(1e-3f))),
    ];

    /// <summary>Prints one row per optimizer, batch size and thread count; true when every count is 0.</summary>
    public static bool Report()
    {
        int threadsBefore = Parallelism.Threads;
        const int rows = 64 * (To + 10);
        var random = new SeededRandom(11);
        var features = new float[rows * BenchMlp.InputCount];
        for (int i = 0; i < features.Length; i++) features[i] = (float)random.NextGaussian();
        var data = Dataset.Create("random", features, Enumerable.Range(0, rows).Select(i => i % 10).ToArray(), BenchMlp.InputCount, BenchMlp.ClassCount).ThrowIfFail();

        Console.WriteLine("| optimizer | fused into backward | batch | threads | bytes, all threads | bytes, calling thread |");
        Console.WriteLine("|---|---|---|---|---|---|");
        bool none = true;
        foreach (var (name, optimizer) in Cases)
            foreach (int batch in new[] { 64, 1 })
                foreach (int threads in new[] { 1, 2 })
                {
                    Parallelism.Threads = threads;
                    var batches = data.Batches(batch, 1).Take(To + 10).ToArray();
                    var state = TrainState.Of(BenchMlp.Init(7), optimizer);
                    // Warm up for longer than tiered compilation waits before promoting a method (~100 ms after its 30th
                    // call): a promotion still under way allocates on the JIT's background thread, not in a step.
                    var warm = Stopwatch.StartNew();
                    while (warm.ElapsedMilliseconds < 500) state = batches.Fold(state, BenchMlp.Step);
                    var probe = new Probe();
                    _ = batches.Fold(state, BenchMlp.Step, probe);
                    none &= probe.Total == 0 && probe.Thread == 0;
                    Console.WriteLine($"| {name} | {(Fuses(optimizer) ? "yes" : "no")} | {batch} | {threads} | {probe.Total:N0} | {probe.Thread:N0} |");
                }
        Parallelism.Threads = threadsBefore;
        Console.WriteLine(none ? "0 bytes per steady-state step on every path." : "Some steady-state steps allocate: see the rows above.");
        return none;
    }

    /// <summary>Whether a fold fuses <paramref name="optimizer"/> into backward (asked on a throwaway state, which TryFuse advances).</summary>
    private static bool Fuses(Optimizer optimizer) =>
        optimizer.TryFuse(new float[BenchMlp.ParameterCount], optimizer.Init(BenchMlp.ParameterCount), out _);

    /// <summary>
    /// Reads the allocation counters after the fold's From-th and To-th steps. The whole process's precise count catches
    /// the worker threads of a 2-thread step, which the calling thread's count would miss.
    /// </summary>
    private sealed class Probe : IStepObserver
    {
        private long first = -1, totalAtFrom, threadAtFrom;
        public long Total { get; private set; } = -1;
        public long Thread { get; private set; } = -1;

        public Verdict OnStep(in StepReport report)
        {
            if (first < 0) first = report.Step;
            long step = report.Step - first + 1;
            if (step == From) (totalAtFrom, threadAtFrom) = (GC.GetTotalAllocatedBytes(precise: true), GC.GetAllocatedBytesForCurrentThread());
            if (step == To) (Total, Thread) = (GC.GetTotalAllocatedBytes(precise: true) - totalAtFrom, GC.GetAllocatedBytesForCurrentThread() - threadAtFrom);
            return step >= To ? Verdict.Stop : Verdict.Continue;
        }
    }
}
