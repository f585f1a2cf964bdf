// The thread-count setting and the allocation-free worker pool that big kernels split their output over.
using System.Runtime.CompilerServices;

namespace Functional.Kernels;

/// <summary>
/// A piece of work split into <c>parts</c> independent pieces. Kernels partition their <em>outputs</em>, so every
/// output element is computed by exactly one part with the same arithmetic whatever the number of parts:
/// results are bit-for-bit the same on 1 thread and on many.
/// </summary>
internal interface IParallelJob
{
    void Run(int part, int parts);
}

/// <summary>
/// How many threads kernels may use. Defaults to <c>FUNCTIONAL_THREADS</c> when set, else every core.
/// Work is split only where it pays (see <see cref="PartsFor"/>): small products always run on the caller.
/// </summary>
public static unsafe class Parallelism
{
    /// <summary>The environment variable read once at start-up: a positive thread count.</summary>
    public const string EnvironmentVariable = "FUNCTIONAL_THREADS";

    /// <summary>
    /// Below this many floating-point operations a product runs on one thread: waking a worker and sharing
    /// caches costs a few microseconds, which a ~20 µs product cannot win back.
    /// </summary>
    internal const long MinimumParallelFlops = 1_500_000;

    private const int MaximumThreads = 64;
    private static int threads = FromEnvironment();

    /// <summary>The most threads a kernel call uses (the caller's own thread included). At least 1.</summary>
    public static int Threads
    {
        get => threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "the thread count must be at least 1");
            threads = Math.Min(value, MaximumThreads);
        }
    }

    private static int FromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1)
            return Math.Min(n, MaximumThreads);
        return Math.Clamp(Environment.ProcessorCount, 1, MaximumThreads);
    }

    /// <summary>How many parts to split work of <paramref name="flops"/> over at most <paramref name="units"/> indivisible pieces.</summary>
    internal static int PartsFor(long flops, int units)
    {
        int n = threads;
        if (n <= 1 || units <= 1 || flops < MinimumParallelFlops) return 1;
        return Math.Min(n, units);
    }

    /// <summary>
    /// Below this many elements an elementwise pass (an optimizer update) runs on one thread; above it each
    /// thread gets at least this many, a few hundred kilobytes of streams, so the split pays for the wake-up.
    /// </summary>
    internal const int MinimumParallelElements = 1 << 15;

    /// <summary>How many parts to split an elementwise pass over <paramref name="count"/> elements into.</summary>
    internal static int PartsForElements(long count)
    {
        int n = threads;
        if (n <= 1 || count < 2L * MinimumParallelElements) return 1;
        return (int)Math.Min(n, count / MinimumParallelElements);
    }

    /// <summary>
    /// Runs parts 0 … <paramref name="parts"/>−1 of <paramref name="job"/>: part 0 on the caller, the rest on workers.
    /// Falls back to running every part on the caller when the pool is in use (another caller, or a call from
    /// inside a job), which gives the same results because parts never share outputs. Allocates nothing.
    /// </summary>
    internal static void Run<TJob>(ref TJob job, int parts) where TJob : struct, IParallelJob
    {
        if (parts <= 1 || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++) job.Run(part, parts);
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            Slot<TJob>.Job = job;
            delegate*<int, int, void> work = &Slot<TJob>.Invoke;
            for (int i = 1; i < parts; i++) pool[i - 1].Post(work, i, parts);
            Exception? failure = null;
            try { job.Run(0, parts); }
            catch (Exception e) { failure = e; }
            for (int i = 1; i < parts; i++) failure ??= pool[i - 1].Join();
            Slot<TJob>.Job = default; // drop references an epilogue may hold
            if (failure is not null) throw new AggregateException("a kernel worker failed", failure);
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    private static int busy;
    private static Worker[] pool = [];
    private static readonly object growing = new();

    private static void EnsureWorkers(int count)
    {
        if (pool.Length >= count) return;
        lock (growing)
        {
            if (pool.Length >= count) return;
            var grown = new Worker[count];
            Array.Copy(pool, grown, pool.Length);
            for (int i = pool.Length; i < count; i++) grown[i] = new Worker(i + 1);
            Volatile.Write(ref pool, grown);
        }
    }

    /// <summary>Where the job a worker runs lives while it runs: a static per job type, so posting it boxes nothing.</summary>
    private static class Slot<TJob> where TJob : struct, IParallelJob
    {
        public static TJob Job;
        public static void Invoke(int part, int parts) => Job.Run(part, parts);
    }

    /// <summary>
    /// One background thread with a one-job mailbox. After a job it spins for a short while (the next product of a
    /// training step is usually microseconds away) and then sleeps on its own monitor, so idle workers cost nothing.
    /// </summary>
    private sealed class Worker
    {
        /// <summary>How long a worker stays awake after a job, in Stopwatch ticks (~200 µs).</summary>
        private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;

        private int state; // 0: idle, 1: job posted, 2: job done
        private int sleeping;
        private delegate*<int, int, void> work;
        private int part, parts;
        private Exception? failure;

        public Worker(int index)
        {
            var thread = new Thread(Loop, maxStackSize: 1 << 20) { IsBackground = true, Name = $"Functional kernel worker {index}" };
            thread.Start();
        }

        public void Post(delegate*<int, int, void> job, int index, int count)
        {
            work = job;
            part = index;
            parts = count;
            failure = null;
            // A full fence between publishing the job and reading `sleeping` (x86 may reorder a store before a later load).
            Interlocked.Exchange(ref state, 1);
            if (Volatile.Read(ref sleeping) != 0)
                lock (this) Monitor.Pulse(this);
        }

        /// <summary>Waits for the posted job; yields the core now and then in case the worker shares it.</summary>
        public Exception? Join()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref state) != 2) spinner.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref state, 0);
            return failure;
        }

        private void Loop()
        {
            while (true)
            {
                WaitForJob();
                try { work(part, parts); }
                catch (Exception e) { failure = e; }
                Volatile.Write(ref state, 2);
            }
        }

        private void WaitForJob()
        {
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref state) != 1)
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() < until) { Thread.SpinWait(16); continue; }
                lock (this)
                {
                    Interlocked.Exchange(ref sleeping, 1);
                    while (Volatile.Read(ref state) != 1) Monitor.Wait(this);
                    Volatile.Write(ref sleeping, 0);
                }
            }
        }
    }

    /// <summary>[first, last) of <paramref name="units"/> for <paramref name="part"/> of <paramref name="parts"/>: contiguous, as even as possible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (int First, int Last) Range(int units, int part, int parts)
        => ((int)((long)units * part / parts), (int)((long)units * (part + 1) / parts));
}
