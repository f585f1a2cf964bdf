// What a matrix product does with each finished accumulator before storing it: the fusion point.
using System.Runtime.CompilerServices;

namespace Functional.Kernels;

/// <summary>
/// Applied to each output tile of <see cref="Gemm"/> while it is still in registers, so bias, activation or
/// activation derivative cost no extra pass over memory.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public unsafe interface IEpilogue
{
    /// <summary>The value to store at (row, column) given the accumulated dot product.</summary>
    TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct;

    /// <summary>
    /// True for C ← C + A·B (<see cref="Accumulate"/>). A product blocked over k keeps its partial sums in C between k
    /// blocks, so an epilogue that reads C on the last block would read the first block's partial sums, not what C held
    /// before the product: the packed path instead starts the first block's sums from C and stores the last plainly.
    /// </summary>
    static virtual bool AddsToOutput => false;
}

/// <summary>Stores the product unchanged.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Plain : IEpilogue
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct => accumulator;
}

/// <summary>Forward: y = f(acc + b[column]).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct BiasActivation<TAct>(float* bias, TAct activation) : IEpilogue where TAct : struct, IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct
        => activation.Forward<TS, TV>(TS.Add(accumulator, TS.Load(bias + column)));
}

/// <summary>
/// Forward keeping the pre-activation, for an activation whose derivative reads it (GELU, SiLU): z = acc + b[column] is
/// stored at input[row, column] and y = f(z) returned for the product's own store. The product calls an epilogue only on
/// whole vectors of valid columns (ragged edges go one lane at a time), so this store never reaches past z.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct BiasActivationKeepingInput<TAct>(float* bias, float* input, nint rowStride, TAct activation) : IEpilogue where TAct : struct, IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct
    {
        TV z = TS.Add(accumulator, TS.Load(bias + column));
        TS.Store(input + row * rowStride + column, z);
        return activation.Forward<TS, TV>(z);
    }
}

/// <summary>Backward: dz = acc ⊙ f′, with f′ read from the saved value s[row, column] of the layer below (its output y; its input z for GELU and SiLU).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct ActivationGradient<TAct>(float* output, nint rowStride, TAct activation) : IEpilogue where TAct : struct, IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct
        => activation.Backward<TS, TV>(accumulator, TS.Load(output + row * rowStride + column));
}

/// <summary>
/// Forward of a convolution, whose product has a row per filter: y = f(acc + b[row]). A broadcast rather than a load,
/// because the bias runs down C's rows (the filters) instead of along them.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct RowBiasActivation<TAct>(float* bias, TAct activation) : IEpilogue where TAct : struct, IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct
        => activation.Forward<TS, TV>(TS.Add(accumulator, TS.Broadcast(bias[row])));
}

/// <summary>y = f(acc): a product without a bias (a layer whose batch norm supplies the shift).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly struct Activated<TAct>(TAct activation) : IEpilogue where TAct : struct, IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct
        => activation.Forward<TS, TV>(accumulator);
}

/// <summary>
/// C ← C + acc, with C at <paramref name="c"/> (row stride <paramref name="ldc"/>, the product's own C): sums products
/// over several calls, as a convolution's weight gradient sums one product per image. Each element reads only itself
/// before its store, so any split of the product over threads adds the same numbers. The packed path does not call
/// <see cref="Apply"/>: it starts the tile's sums from C (<see cref="AddsToOutput"/>), which stays right when the
/// product is blocked over k; the direct and streaming paths, which take every k in one pass, add C here.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public readonly unsafe struct Accumulate(float* c, nint ldc) : IEpilogue
{
    /// <inheritdoc/>
    public static bool AddsToOutput => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply<TS, TV>(TV accumulator, nint row, nint column) where TS : ISimd<TV> where TV : struct
        => TS.Add(TS.Load(c + row * ldc + column), accumulator);
}
