// Activation functions as operator structs: forward, and the derivative from the saved output (or, for GELU and SiLU, the saved input).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Functional.Kernels;

/// <summary>
/// An elementwise activation y = f(z), as a small struct value: a parameterised one (leaky ReLU's slope, ELU's α)
/// carries its parameter as a field, so a trial sets it at run time without a rebuild, while the kernels are still
/// specialised per activation type. Its backward is written in terms of one saved value s, so the derivative can ride
/// in the epilogue of the product that produces dy: dz = dy ⊙ f′(z) computed from (dy, s). For most activations s is the
/// output y, whose sign or value determines f′(z), so the pre-activation never has to be kept. A non-monotone
/// activation (<see cref="Gelu"/>, <see cref="Silu"/>) cannot recover z from y: s is then the pre-activation z, which the
/// forward keeps (<see cref="Gemm.Forward{TAct}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, int)"/>),
/// as each such struct's summary says.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public interface IActivation
{
    /// <summary>y = f(z), lane by lane. Called by the generated kernels in the epilogue of a product; not meant to be called directly.</summary>
    TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct;
    /// <summary>dz = dy ⊙ f′(z), computed from the incoming gradient <c>dy</c> and the saved value <c>y</c> (the output; the input z for GELU and SiLU). Called by the generated kernels; not meant to be called directly.</summary>
    TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct;
}

/// <summary>
/// An activation without parameters (identity, ReLU, sigmoid, tanh, GELU, SiLU), whose <c>default</c> is the whole function: the
/// kernels' overloads without an activation argument accept only these, so a parameterised activation can never run
/// with a silent 0 for its slope or α.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public interface IFixedActivation : IActivation;

/// <summary>y = z. Used by layers without an activation (the scores before a loss).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Identity : IFixedActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct => z;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct => dy;
}

/// <summary>y = max(0, z); dz = dy where y &gt; 0, else 0.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Relu : IFixedActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct => TS.Max(z, TS.Zero);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct => TS.WherePositive(y, dy);
}

/// <summary>y = z for z &gt; 0, else α·z; dz = dy·(y &gt; 0 ? 1 : α). Valid for α ≥ 0, where sign(y) = sign(z).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct LeakyRelu(float slope) : IActivation
{
    /// <summary>The negative slope α.</summary>
    public float Slope { get; } = slope;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct
        => TS.SelectPositive(z, z, TS.Multiply(z, TS.Broadcast(Slope)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct
        => TS.SelectPositive(y, dy, TS.Multiply(dy, TS.Broadcast(Slope)));
}

/// <summary>y = 1/(1 + e^−z); dz = dy·y·(1 − y).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Sigmoid : IFixedActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct
    {
        // e^−z overflows to +∞ for very negative z, giving 1/∞ = 0: the right limit, no NaN.
        var one = TS.Broadcast(1f);
        return TS.Divide(one, TS.Add(one, TS.Exp(TS.Subtract(TS.Zero, z))));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct
        => TS.Multiply(dy, TS.Multiply(y, TS.Subtract(TS.Broadcast(1f), y)));
}

/// <summary>y = tanh z = 1 − 2/(e^{2z} + 1); dz = dy·(1 − y²).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Tanh : IFixedActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct
    {
        // This form tends to ±1 without NaN as e^{2z} overflows to ∞ or underflows to 0.
        var one = TS.Broadcast(1f);
        return TS.Subtract(one, TS.Divide(TS.Broadcast(2f), TS.Add(TS.Exp(TS.Add(z, z)), one)));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct
        => TS.Multiply(dy, TS.Subtract(TS.Broadcast(1f), TS.Multiply(y, y)));
}

/// <summary>y = z for z &gt; 0, else α(eᶻ − 1); dz = dy·(y &gt; 0 ? 1 : y + α) (α &gt; 0, so sign(y) = sign(z)).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Elu(float alpha) : IActivation
{
    /// <summary>α, the negative saturation level (y → −α as z → −∞).</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct
    {
        // Clamp the exp's argument at 0: for z > 0 its value is discarded anyway and must not overflow.
        var negative = TS.Multiply(TS.Broadcast(Alpha), TS.Subtract(TS.Exp(TS.SelectPositive(z, TS.Zero, z)), TS.Broadcast(1f)));
        return TS.SelectPositive(z, z, negative);
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV y) where TS : ISimd<TV> where TV : struct
        => TS.SelectPositive(y, dy, TS.Multiply(dy, TS.Add(y, TS.Broadcast(Alpha))));
}

/// <summary>
/// GELU in PyTorch's exact form (<c>approximate='none'</c>): y = z·Φ(z) = ½z(1 + erf(z/√2)); dz = dy·(Φ(z) + z·φ(z)),
/// φ(z) = e^(−z²/2)/√(2π). Not monotone (its minimum is −0.17 at z ≈ −0.75), so <b>Backward reads the pre-activation z</b>,
/// not y. erf is <see cref="ErrorFunction"/>'s (≤ 1.5 ulp); 1 + erf(u) is formed without cancellation, so y keeps its
/// relative accuracy far into the negative tail where PyTorch's float GELU rounds to 0.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Gelu : IFixedActivation
{
    private const float InverseSqrt2 = 0.70710678f, InverseSqrt2Pi = 0.39894228f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct
        => TS.Multiply(TS.Multiply(TS.Broadcast(0.5f), z), ErrorFunction.OnePlusErf<TS, TV>(TS.Multiply(z, TS.Broadcast(InverseSqrt2))));

    /// <summary>dz = dy·(Φ(z) + z·φ(z)) from the incoming gradient <c>dy</c> and the kept <b>pre-activation</b> <c>z</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV z) where TS : ISimd<TV> where TV : struct
    {
        TV phi = TS.Multiply(TS.Broadcast(0.5f), ErrorFunction.OnePlusErf<TS, TV>(TS.Multiply(z, TS.Broadcast(InverseSqrt2))));
        TV density = TS.Multiply(TS.Broadcast(InverseSqrt2Pi), TS.Exp(TS.Multiply(TS.Broadcast(-0.5f), TS.Multiply(z, z))));
        return TS.Multiply(dy, TS.MultiplyAdd(z, density, phi));
    }
}

/// <summary>
/// SiLU, also called swish: y = z·σ(z); dz = dy·σ(z)(1 + z(1 − σ(z))). Not monotone (its minimum is −0.28 at z ≈ −1.28),
/// so <b>Backward reads the pre-activation z</b>, not y.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Silu : IFixedActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Forward<TS, TV>(TV z) where TS : ISimd<TV> where TV : struct => TS.Multiply(z, default(Sigmoid).Forward<TS, TV>(z));

    /// <summary>dz = dy·σ(z)(1 + z(1 − σ(z))) from the incoming gradient <c>dy</c> and the kept <b>pre-activation</b> <c>z</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Backward<TS, TV>(TV dy, TV z) where TS : ISimd<TV> where TV : struct
    {
        TV s = default(Sigmoid).Forward<TS, TV>(z), one = TS.Broadcast(1f);
        return TS.Multiply(TS.Multiply(dy, s), TS.MultiplyAdd(z, TS.Subtract(one, s), one));
    }
}

/// <summary>Standalone activation passes, for where no matrix product is there to fuse into.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class ActivationPass
{
    /// <summary>y = f(z) over z's length, for an activation without parameters.</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> z, Span<float> y) where TAct : struct, IFixedActivation => Forward(z, y, default(TAct));

    /// <summary>y = f(z) over z's length (y may be z itself): batch norm's output through an activation that keeps its input.</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> z, Span<float> y, TAct activation) where TAct : struct, IActivation
    {
        if (y.Length < z.Length) throw new ArgumentException($"y holds {y.Length} values for {z.Length} inputs", nameof(y));
        fixed (float* pz = z, py = y)
        {
            int i = 0, count = z.Length;
            if (Cpu.Current >= Isa.Vector256)
                for (; i + Simd256.Count <= count; i += Simd256.Count)
                    Simd256.Store(py + i, activation.Forward<Simd256, Vector256<float>>(Simd256.Load(pz + i)));
            for (; i < count; i++)
                py[i] = activation.Forward<Scalar, float>(pz[i]);
        }
    }

    /// <summary>dy ← dy ⊙ f′ computed from the saved values y (outputs; inputs for GELU and SiLU), for an activation without parameters.</summary>
    public static void BackwardInPlace<TAct>(Span<float> dy, ReadOnlySpan<float> y) where TAct : struct, IFixedActivation => BackwardInPlace(dy, y, default(TAct));

    /// <summary>dy ← dy ⊙ f′ computed from the saved values y (outputs; inputs for GELU and SiLU).</summary>
    public static void BackwardInPlace<TAct>(Span<float> dy, ReadOnlySpan<float> y, TAct activation) where TAct : struct, IActivation
    {
        if (y.Length < dy.Length) throw new ArgumentException($"y holds {y.Length} outputs for {dy.Length} gradients", nameof(y));
        fixed (float* pdy = dy, py = y)
            BackwardInPlace(pdy, py, dy.Length, activation);
    }

    /// <summary>dy ← dy ⊙ f′ computed from the saved outputs y, over <paramref name="count"/> values, for an activation without parameters.</summary>
    public static void BackwardInPlace<TAct>(float* dy, float* y, int count) where TAct : struct, IFixedActivation => BackwardInPlace(dy, y, count, default(TAct));

    /// <summary>dy ← dy ⊙ f′ computed from the saved outputs y, over <paramref name="count"/> values.</summary>
    public static void BackwardInPlace<TAct>(float* dy, float* y, int count, TAct activation) where TAct : struct, IActivation
    {
        int i = 0;
        if (Cpu.Current >= Isa.Vector256)
            for (; i + Simd256.Count <= count; i += Simd256.Count)
                Simd256.Store(dy + i, activation.Backward<Simd256, Vector256<float>>(Simd256.Load(dy + i), Simd256.Load(y + i)));
        for (; i < count; i++)
            dy[i] = activation.Backward<Scalar, float>(dy[i], y[i]);
    }
}
