// Which instruction set the kernels use: the widest this CPU accelerates, chosen once at run time.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Functional.Kernels;

/// <summary>The vector widths a kernel can run at.</summary>
public enum Isa
{
    /// <summary>One float at a time (<see cref="Kernels.Scalar"/>): the fallback without vector acceleration.</summary>
    Scalar,
    /// <summary>128-bit vectors, 4 floats (<see cref="Simd128"/>: SSE/NEON).</summary>
    Vector128,
    /// <summary>256-bit vectors, 8 floats (<see cref="Simd256"/>: AVX2 with FMA).</summary>
    Vector256,
    /// <summary>512-bit vectors, 16 floats (<see cref="Simd512"/>: AVX-512).</summary>
    Vector512,
}

/// <summary>Chooses the kernel width. Tests pin a width per thread to check every path on any CPU.</summary>
public static class Cpu
{
    /// <summary>The widest width this CPU runs in hardware (Vector256 needs FMA too, else plain 128-bit is faster).</summary>
    public static Isa Best { get; } =
        Vector512.IsHardwareAccelerated ? Isa.Vector512
        : Vector256.IsHardwareAccelerated && (Fma.IsSupported || !X86Base.IsSupported) ? Isa.Vector256
        : Vector128.IsHardwareAccelerated ? Isa.Vector128
        : Isa.Scalar;

    [ThreadStatic] private static Isa? pinned;

    /// <summary>The width kernels on this thread use now.</summary>
    public static Isa Current => pinned ?? Best;

    /// <summary>Runs kernels on this thread at <paramref name="isa"/> until the result is disposed (widths the CPU lacks are emulated: slow, still exact).</summary>
    public static IDisposable Pin(Isa isa)
    {
        var previous = pinned;
        pinned = isa;
        return new Restore(previous);
    }

    private sealed class Restore(Isa? previous) : IDisposable
    {
        public void Dispose() => pinned = previous;
    }
}
