// The thread-count setting and the allocation-free worker pool that big kernels split their output over.
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Functional.Kernels;

/// <summary>
/// A piece of work cut into <c>chunks</c> independent pieces. Kernels cut their <em>outputs</em>, so every output
/// element is computed by exactly one chunk with the same arithmetic whoever runs the chunk and however many
/// chunks there are: results are bit-for-bit the same on 1 thread and on many.
/// </summary>
internal interface IParallelJob
{
    void Run(int chunk, int chunks);
}

/// <summary>
/// How many threads kernels may use. Defaults to <c>FUNCTIONAL_THREADS</c> when set, else every core.
/// Work is split only where it pays (see <see cref="ChunksFor"/>): small products always run on the caller.
/// </summary>
/// <remarks>
/// Threads claim chunks from a shared counter rather than owning fixed shares, and a worker that has not picked
/// its job up by the time the caller has claimed every chunk is simply left out. So a worker that the OS has
/// descheduled (a busy machine) costs the caller nothing but the work it would have done, never a wait.
/// </remarks>
public static unsafe class Parallelism
{
    /// <summary>The environment variable read once at start-up: a positive thread count.</summary>
    public const string EnvironmentVariable = "FUNCTIONAL_THREADS";

    /// <summary>
    /// Below this many floating-point operations a product runs on one thread: waking a worker and sharing
    /// caches costs a few microseconds, which a ~15 µs product cannot win back.
    /// </summary>
    internal const long MinimumParallelFlops = 1_500_000;

    /// <summary>
    /// Below this many elements an elementwise pass (an optimizer update, a transpose) runs on one thread;
    /// above it a chunk holds at least this many, a few hundred kilobytes of streams.
    /// </summary>
    internal const int MinimumParallelElements = 1 << 15;

    /// <summary>Chunks per thread: enough that a slow or late thread leaves little behind, few enough to stay coarse.</summary>
    private const int ChunksPerThread = 4;

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

    /// <summary>How many chunks to cut work of <paramref name="flops"/> into, over at most <paramref name="units"/> indivisible pieces (1: run it inline).</summary>
    internal static int ChunksFor(long flops, int units)
    {
        int n = threads;
        if (n <= 1 || units <= 1 || flops < MinimumParallelFlops) return 1;
        return Math.Min(units, n * ChunksPerThread);
    }

    /// <summary>How many chunks to cut an elementwise pass over <paramref name="count"/> elements into (1: run it inline).</summary>
    internal static int ChunksForElements(long count)
    {
        int n = threads;
        if (n <= 1 || count < 2L * MinimumParallelElements) return 1;
        return (int)Math.Min(n * ChunksPerThread, count / MinimumParallelElements);
    }

    /// <summary>
    /// Runs chunks 0 … <paramref name="chunks"/>−1 of <paramref name="job"/> on the caller and up to
    /// <see cref="Threads"/>−1 workers, each claiming the next unclaimed chunk until none is left. Runs every chunk
    /// on the caller when the pool is in use (another caller, or a call from inside a job): the results are the same
    /// because chunks never share outputs. Allocates nothing.
    /// </summary>
    internal static void Run<TJob>(ref TJob job, int chunks) where TJob : struct, IParallelJob
    {
        int helpers = Math.Min(threads, chunks) - 1;
        if (helpers <= 0 || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            for (int chunk = 0; chunk < chunks; chunk++) job.Run(chunk, chunks);
            return;
        }
        try
        {
            EnsureWorkers(helpers);
            Slot<TJob>.Job = job;
            Volatile.Write(ref next, 0);
            delegate*<int, int, void> work = &Slot<TJob>.Invoke;
            var workers = pool;
            for (int i = 0; i < helpers; i++) workers[i].Post(work, chunks);
            Exception? failure = null;
            try { Claim(work, chunks); }
            catch (Exception e) { failure = e; }
            for (int i = 0; i < helpers; i++) failure ??= workers[i].Finish();
            Slot<TJob>.Job = default; // drop references an epilogue may hold
            if (failure is not null) throw new AggregateException("a kernel worker failed", failure);
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>Runs unclaimed chunks until none is left.</summary>
    private static void Claim(delegate*<int, int, void> work, int chunks)
    {
        int chunk;
        while ((chunk = Interlocked.Increment(ref next) - 1) < chunks) work(chunk, chunks);
    }

    private static int busy;
    private static int next;
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

    /// <summary>Where the job being run lives: a static per job type, so handing it to workers boxes nothing.</summary>
    private static class Slot<TJob> where TJob : struct, IParallelJob
    {
        public static TJob Job;
        public static void Invoke(int chunk, int chunks) => Job.Run(chunk, chunks);
    }

    /// <summary>
    /// One background thread with a one-job mailbox. After a job it spins for a short while (the next product of a
    /// training step is usually microseconds away) and then sleeps on its own monitor, so an idle pool costs nothing.
    /// </summary>
    private sealed class Worker
    {
        private const int Idle = 0, Posted = 1, Running = 2, Done = 3;

        /// <summary>How long a worker stays awake after a job, in Stopwatch ticks (~200 µs).</summary>
        private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

        private int state;
        private int sleeping;
        private delegate*<int, int, void> work;
        private int chunks;
        private Exception? failure;

        public Worker(int index)
        {
            var thread = new Thread(Loop, maxStackSize: 1 << 20) { IsBackground = true, Name = $"Functional kernel worker {index}" };
            thread.Start();
        }

        public void Post(delegate*<int, int, void> job, int count)
        {
            work = job;
            chunks = count;
            failure = null;
            // A full fence between publishing the job and reading `sleeping` (x86 may reorder a store before a later load).
            Interlocked.Exchange(ref state, Posted);
            if (Volatile.Read(ref sleeping) != 0)
                lock (this) Monitor.Pulse(this);
        }

        /// <summary>
        /// Called once the caller has claimed the last chunk: takes the job back if the worker never picked it up
        /// (no wait at all), else waits for the chunk it is running, yielding the core in case they share one.
        /// </summary>
        public Exception? Finish()
        {
            if (Interlocked.CompareExchange(ref state, Idle, Posted) == Posted) return null;
            var spinner = new SpinWait();
            while (Volatile.Read(ref state) != Done) spinner.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref state, Idle);
            return failure;
        }

        private void Loop()
        {
            while (true)
            {
                WaitForJob();
                if (Interlocked.CompareExchange(ref state, Running, Posted) != Posted) continue; // taken back
                try { Claim(work, chunks); }
                catch (Exception e) { failure = e; }
                Volatile.Write(ref state, Done);
            }
        }

        private void WaitForJob()
        {
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            // SpinOnce soon starts yielding the core between checks: should the scheduler have put this worker on the
            // caller's CPU, the caller then keeps that CPU instead of sharing it with a spinner.
            var spinner = new SpinWait();
            while (Volatile.Read(ref state) != Posted)
            {
                if (Stopwatch.GetTimestamp() < until) { spinner.SpinOnce(sleep1Threshold: -1); continue; }
                lock (this)
                {
                    Interlocked.Exchange(ref sleeping, 1);
                    while (Volatile.Read(ref state) != Posted) Monitor.Wait(this);
                    Volatile.Write(ref sleeping, 0);
                }
            }
        }
    }

    /// <summary>[first, last) of <paramref name="units"/> for <paramref name="chunk"/> of <paramref name="chunks"/>: contiguous, as even as possible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (int First, int Last) Range(int units, int chunk, int chunks)
        => ((int)((long)units * chunk / chunks), (int)((long)units * (chunk + 1) / chunks));
}
