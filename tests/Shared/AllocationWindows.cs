// What a steady state allocates on this thread, measured over several windows so a collection made meanwhile cannot fake an allocation.
namespace Functional.Tests;

/// <summary>
/// Bytes allocated on this thread per window of steady-state work. Code that allocates as it runs does so in every
/// window; but a collection made meanwhile (by another test's thread, in a parallel test run) can move this thread's
/// counter by a few kilobytes without any allocation (dotnet/coreclr#10207). So a window in which a gen-0 collection
/// ran counts only when no window was free of one, and <see cref="Least"/> is the least of the windows that count.
/// </summary>
internal sealed class AllocationWindows
{
    private long atStart;
    private int collectionsAtStart;
    private long clean = long.MaxValue, disturbed = long.MaxValue;

    /// <summary>The least bytes allocated in a window without a collection, else in any window; −1 before one is closed.</summary>
    public long Least => clean != long.MaxValue ? clean : disturbed != long.MaxValue ? disturbed : -1;

    public void Open()
    {
        collectionsAtStart = GC.CollectionCount(0);
        atStart = GC.GetAllocatedBytesForCurrentThread();
    }

    public void Close()
    {
        long bytes = GC.GetAllocatedBytesForCurrentThread() - atStart;
        if (GC.CollectionCount(0) == collectionsAtStart) clean = Math.Min(clean, bytes);
        else disturbed = Math.Min(disturbed, bytes);
    }

    /// <summary>Runs <paramref name="window"/> <paramref name="windows"/> times and gives <see cref="Least"/>.</summary>
    public static long Measure(Action window, int windows = 3)
    {
        var meter = new AllocationWindows();
        for (int i = 0; i < windows; i++)
        {
            meter.Open();
            window();
            meter.Close();
        }
        return meter.Least;
    }
}
