// One interface over SIMD widths, so each kernel is written once and the JIT specialises it per width.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Functional.Kernels;

/// <summary>
/// The handful of vector operations the kernels need, over a vector type <typeparamref name="TV"/> of floats.
/// Implemented by value types so generic kernels are specialised (and these calls inlined) per width.
/// <see cref="Scalar"/> is a one-lane "vector": the same kernel instantiated with it is the scalar fallback.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public unsafe interface ISimd<TV> where TV : struct
{
    /// <summary>Lanes per vector: how many floats one <typeparamref name="TV"/> holds.</summary>
    static abstract int Count { get; }
    /// <summary>The all-zero vector.</summary>
    static abstract TV Zero { get; }
    /// <summary>Reads <see cref="Count"/> consecutive floats from <paramref name="source"/>.</summary>
    static abstract TV Load(float* source);
    /// <summary>Writes the lanes of <paramref name="value"/> to <see cref="Count"/> consecutive floats at <paramref name="destination"/>.</summary>
    static abstract void Store(float* destination, TV value);
    /// <summary>A vector with <paramref name="value"/> in every lane.</summary>
    static abstract TV Broadcast(float value);
    /// <summary>a·b + c, fused where the CPU has FMA.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    /// <summary>a + b, per lane.</summary>
    static abstract TV Add(TV a, TV b);
    /// <summary>a·b, per lane.</summary>
    static abstract TV Multiply(TV a, TV b);
    /// <summary>The larger of a and b, per lane.</summary>
    static abstract TV Max(TV a, TV b);
    /// <summary>x where mask &gt; 0, else 0 (ReLU's derivative applied to x).</summary>
    static abstract TV WherePositive(TV mask, TV x);
    /// <summary>a − b, per lane.</summary>
    static abstract TV Subtract(TV a, TV b);
    /// <summary>a / b, per lane.</summary>
    static abstract TV Divide(TV a, TV b);
    /// <summary>√a, per lane, correctly rounded (as <see cref="MathF.Sqrt"/>), so every width gives the same bits.</summary>
    static abstract TV Sqrt(TV a);
    /// <summary>eˣ, vectorised (overflows to +∞ and underflows to 0 like MathF.Exp).</summary>
    static abstract TV Exp(TV x);
    /// <summary>Per lane: condition &gt; 0 ? ifPositive : otherwise.</summary>
    static abstract TV SelectPositive(TV condition, TV ifPositive, TV otherwise);
}

/// <summary>512-bit vectors: 16 floats (AVX-512).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct Simd512 : ISimd<Vector512<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector512<float>.Count;
    /// <inheritdoc/>
    public static Vector512<float> Zero => Vector512<float>.Zero;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* source) => Vector512.Load(source);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* destination, Vector512<float> value) => value.Store(destination);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> WherePositive(Vector512<float> mask, Vector512<float> x) => Vector512.GreaterThan(mask, Vector512<float>.Zero) & x;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> x) => Vector512.Exp(x);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> SelectPositive(Vector512<float> condition, Vector512<float> ifPositive, Vector512<float> otherwise) => Vector512.ConditionalSelect(Vector512.GreaterThan(condition, Vector512<float>.Zero), ifPositive, otherwise);
}

/// <summary>256-bit vectors: 8 floats (AVX2 with FMA).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector256<float>.Count;
    /// <inheritdoc/>
    public static Vector256<float> Zero => Vector256<float>.Zero;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* source) => Vector256.Load(source);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* destination, Vector256<float> value) => value.Store(destination);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> WherePositive(Vector256<float> mask, Vector256<float> x) => Vector256.GreaterThan(mask, Vector256<float>.Zero) & x;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> x) => Vector256.Exp(x);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> SelectPositive(Vector256<float> condition, Vector256<float> ifPositive, Vector256<float> otherwise) => Vector256.ConditionalSelect(Vector256.GreaterThan(condition, Vector256<float>.Zero), ifPositive, otherwise);
}

/// <summary>128-bit vectors: 4 floats (SSE/NEON); also the narrow tail after wider tiles.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector128<float>.Count;
    /// <inheritdoc/>
    public static Vector128<float> Zero => Vector128<float>.Zero;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* source) => Vector128.Load(source);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* destination, Vector128<float> value) => value.Store(destination);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> WherePositive(Vector128<float> mask, Vector128<float> x) => Vector128.GreaterThan(mask, Vector128<float>.Zero) & x;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> x) => Vector128.Exp(x);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> SelectPositive(Vector128<float> condition, Vector128<float> ifPositive, Vector128<float> otherwise) => Vector128.ConditionalSelect(Vector128.GreaterThan(condition, Vector128<float>.Zero), ifPositive, otherwise);
}

/// <summary>A one-lane "vector": plain floats. The scalar fallback, and the last columns after every vector tile.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct Scalar : ISimd<float>
{
    /// <inheritdoc/>
    public static int Count => 1;
    /// <inheritdoc/>
    public static float Zero => 0f;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* source) => *source;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* destination, float value) => *destination = value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float value) => value;
    // Not fused: MathF.FusedMultiplyAdd is a slow software call on CPUs without FMA, which is where this path runs.
    /// <summary>a·b + c, not fused (unlike the vector widths' <see cref="ISimd{TV}.MultiplyAdd"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => a * b + c;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => a > b ? a : b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float WherePositive(float mask, float x) => mask > 0f ? x : 0f;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sqrt(float a) => MathF.Sqrt(a);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float x) => MathF.Exp(x);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SelectPositive(float condition, float ifPositive, float otherwise) => condition > 0f ? ifPositive : otherwise;
}
