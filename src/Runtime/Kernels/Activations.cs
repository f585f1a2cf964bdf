// Activation functions as operator structs: forward, and the derivative expressed through the saved output.
using System.Runtime.CompilerServices;

namespace Functional.Kernels;

/// <summary>
/// An elementwise activation y = f(z). Its backward is written in terms of the saved output y, so the
/// pre-activation never has to be kept: dz = dy ⊙ f′(z) computed from (dy, y).
/// </summary>
public interface IActivation
{
    static abstract TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct;
    static abstract TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct;
}

/// <summary>y = z. Used by layers without an activation (the scores before a loss).</summary>
public readonly struct Identity : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct => z;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct => dy;
}

/// <summary>y = max(0, z); dz = dy where y &gt; 0, else 0.</summary>
public readonly struct Relu : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct => TS.Max(z, TS.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct => TS.WherePositive(y, dy);
}

/// <summary>Standalone activation passes, for where no matrix product is there to fuse into.</summary>
public static unsafe class ActivationPass
{
    /// <summary>dy ← dy ⊙ f′ computed from the saved outputs y.</summary>
    public static void BackwardInPlace<TAct>(Span<float> dy, ReadOnlySpan<float> y) where TAct : IActivation
    {
        if (y.Length < dy.Length) throw new ArgumentException($"y holds {y.Length} outputs for {dy.Length} gradients", nameof(y));
        fixed (float* pdy = dy, py = y)
            BackwardInPlace<TAct>(pdy, py, dy.Length);
    }

    /// <summary>dy ← dy ⊙ f′ computed from the saved outputs y, over <paramref name="count"/> values.</summary>
    public static void BackwardInPlace<TAct>(float* dy, float* y, int count) where TAct : IActivation
    {
        int i = 0;
        if (Cpu.Current >= Isa.Vector256)
            for (; i + Simd256.Count <= count; i += Simd256.Count)
                Simd256.Store(dy + i, TAct.Backward<Simd256, System.Runtime.Intrinsics.Vector256<float>>(Simd256.Load(dy + i), Simd256.Load(y + i)));
        for (; i < count; i++)
            dy[i] = TAct.Backward<Scalar, float>(dy[i], y[i]);
    }
}
