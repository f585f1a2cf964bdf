// Register-blocked SIMD matrix products with fused epilogues: every layer's forward and backward runs here.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Functional.Kernels;

/// <summary>
/// C[M, N] = epilogue(Σ_k A(m, k) · B[k, n]) where A is read through two strides, so the same micro-kernel
/// computes x·W (forward), xᵀ·dz (weight gradient) and dz·Wᵀ (input gradient, with Wᵀ packed first).
/// Tiles are 4 rows × 2 vectors of accumulators held in registers; columns left over after the widest
/// vectors fall through to narrower ones and finally to the one-lane <see cref="Scalar"/> instantiation,
/// so there is one kernel body for every width. The summation order over k is sequential for every width,
/// so results differ between widths only by FMA rounding.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Forward of a dense layer: y[B, out] = f(x[B, in] · W[in, out] + b).</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> y, int batch, int inputs, int outputs)
        where TAct : IActivation
    {
        Require(x, batch * inputs, "x"); Require(weights, inputs * outputs, "W"); Require(bias, outputs, "b"); Require(y, batch * outputs, "y");
        fixed (float* px = x, pw = weights, pb = bias, py = y)
            Forward<TAct>(px, pw, pb, py, batch, inputs, outputs);
    }

    /// <summary>Weight gradient: dW[in, out] = xᵀ · dz, with x [B, in] and dz [B, out]. Overwrites dW.</summary>
    public static void WeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dz, Span<float> dWeights, int batch, int inputs, int outputs)
    {
        Require(x, batch * inputs, "x"); Require(dz, batch * outputs, "dz"); Require(dWeights, inputs * outputs, "dW");
        fixed (float* px = x, pdz = dz, pdw = dWeights)
            WeightGradient(px, pdz, pdw, batch, inputs, outputs);
    }

    /// <summary>Bias gradient: db[out] = Σ_b dz[b, :]. Overwrites db.</summary>
    public static void BiasGradient(ReadOnlySpan<float> dz, Span<float> dBias, int batch, int outputs)
    {
        Require(dz, batch * outputs, "dz"); Require(dBias, outputs, "db");
        fixed (float* pdz = dz, pdb = dBias)
            BiasGradient(pdz, pdb, batch, outputs);
    }

    /// <summary>
    /// Input gradient with the lower layer's activation derivative fused: dx[B, in] = (dz · Wᵀ) ⊙ f′(y_below).
    /// Wᵀ is packed into <paramref name="transposed"/> ([out, in]) so the product streams contiguous rows.
    /// </summary>
    public static void InputGradient<TAct>(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> transposed, ReadOnlySpan<float> below, Span<float> dx, int batch, int inputs, int outputs)
        where TAct : IActivation
    {
        Require(dz, batch * outputs, "dz"); Require(weights, inputs * outputs, "W"); Require(transposed, inputs * outputs, "Wᵀ");
        Require(below, batch * inputs, "y_below"); Require(dx, batch * inputs, "dx");
        fixed (float* pdz = dz, pw = weights, pwt = transposed, pbelow = below, pdx = dx)
            InputGradient<TAct>(pdz, pw, pwt, pbelow, pdx, batch, inputs, outputs);
    }

    /// <summary>Pointer form of <see cref="Forward{TAct}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>; the caller guarantees the sizes.</summary>
    public static void Forward<TAct>(float* x, float* weights, float* bias, float* y, int batch, int inputs, int outputs)
        where TAct : IActivation
        => Multiply(x, inputs, 1, weights, outputs, y, outputs, batch, inputs, outputs, new BiasActivation<TAct>(bias));

    /// <summary>Pointer form of the weight gradient; the caller guarantees the sizes.</summary>
    public static void WeightGradient(float* x, float* dz, float* dWeights, int batch, int inputs, int outputs)
        => Multiply(x, 1, inputs, dz, outputs, dWeights, outputs, inputs, batch, outputs, new Plain());

    /// <summary>Pointer form of the bias gradient; the caller guarantees the sizes.</summary>
    public static void BiasGradient(float* dz, float* dBias, int batch, int outputs)
    {
        var sum = new Span<float>(dBias, outputs);
        sum.Clear();
        for (int row = 0; row < batch; row++)
            TensorPrimitives.Add(sum, new ReadOnlySpan<float>(dz + (nint)row * outputs, outputs), sum);
    }

    /// <summary>Pointer form of the input gradient; the caller guarantees the sizes.</summary>
    public static void InputGradient<TAct>(float* dz, float* weights, float* transposed, float* below, float* dx, int batch, int inputs, int outputs)
        where TAct : IActivation
    {
        Transpose(weights, transposed, inputs, outputs);
        Multiply(dz, outputs, 1, transposed, inputs, dx, inputs, batch, outputs, inputs, new ActivationGradient<TAct>(below, inputs));
    }

    /// <summary>Refuses a buffer too small for the shapes, before any pointer is formed.</summary>
    private static void Require(ReadOnlySpan<float> span, int needed, string name)
    {
        if (span.Length < needed) throw new ArgumentException($"{name} holds {span.Length} floats, the shapes need {needed}", name);
    }

    /// <summary>destination[cols, rows] = sourceᵀ for a row-major source[rows, cols]; blocked to stay in cache.</summary>
    public static void Transpose(float* source, float* destination, int rows, int cols)
    {
        const int block = 32;
        for (int r0 = 0; r0 < rows; r0 += block)
            for (int c0 = 0; c0 < cols; c0 += block)
            {
                int r1 = Math.Min(r0 + block, rows), c1 = Math.Min(c0 + block, cols);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        destination[(nint)c * rows + r] = source[(nint)r * cols + c];
            }
    }

    /// <summary>
    /// The general product: C[m, n] = epilogue(Σ_k a[m·aRow + k·aCol] · b[k·ldb + n]), written to c[m·ldc + n],
    /// at the width <see cref="Cpu.Current"/> selects.
    /// </summary>
    public static void Multiply<TE>(float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc, int m, int k, int n, TE epilogue)
        where TE : struct, IEpilogue
    {
        var p = new Operands(a, aRow, aCol, b, ldb, c, ldc, m, k);
        int column = 0;
        switch (Cpu.Current)
        {
            case Isa.Vector512:
                column = Columns<Simd512, Vector512<float>, TE>(p, column, n, epilogue);
                goto case Isa.Vector256;
            case Isa.Vector256:
                column = Columns<Simd256, Vector256<float>, TE>(p, column, n, epilogue);
                goto case Isa.Vector128;
            case Isa.Vector128:
                column = Columns<Simd128, Vector128<float>, TE>(p, column, n, epilogue);
                goto default;
            default:
                Columns<Scalar, float, TE>(p, column, n, epilogue);
                break;
        }
    }

    /// <summary>The operands of one product, passed down the tile functions together.</summary>
    private readonly struct Operands(float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc, int m, int k)
    {
        public readonly float* A = a, B = b, C = c;
        public readonly nint ARow = aRow, ACol = aCol, Ldb = ldb, Ldc = ldc;
        public readonly int M = m, K = k;
    }

    /// <summary>Covers columns [from, to) in tiles of two vectors, then one; returns the first column not covered.</summary>
    private static int Columns<TS, TV, TE>(in Operands p, int from, int to, TE e)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        int w = TS.Count, column = from;
        for (; column + 2 * w <= to; column += 2 * w)
        {
            int row = 0;
            for (; row + 4 <= p.M; row += 4) Tile4x2<TS, TV, TE>(p, row, column, e);
            for (; row < p.M; row++) Tile1x2<TS, TV, TE>(p, row, column, e);
        }
        if (column + w <= to)
        {
            int row = 0;
            for (; row + 4 <= p.M; row += 4) Tile4x1<TS, TV, TE>(p, row, column, e);
            for (; row < p.M; row++) Tile1x1<TS, TV, TE>(p, row, column, e);
            column += w;
        }
        return column;
    }

    private static void Tile4x2<TS, TV, TE>(in Operands p, nint row, nint column, TE e)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        nint w = TS.Count, aCol = p.ACol, ldb = p.Ldb;
        float* a0 = p.A + row * p.ARow, a1 = a0 + p.ARow, a2 = a1 + p.ARow, a3 = a2 + p.ARow;
        float* b = p.B + column;
        for (int k = 0; k < p.K; k++)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV x = TS.Broadcast(*a0);
            c00 = TS.MultiplyAdd(x, b0, c00); c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Broadcast(*a1);
            c10 = TS.MultiplyAdd(x, b0, c10); c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Broadcast(*a2);
            c20 = TS.MultiplyAdd(x, b0, c20); c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Broadcast(*a3);
            c30 = TS.MultiplyAdd(x, b0, c30); c31 = TS.MultiplyAdd(x, b1, c31);
            a0 += aCol; a1 += aCol; a2 += aCol; a3 += aCol; b += ldb;
        }
        float* c = p.C + row * p.Ldc + column;
        TS.Store(c, e.Apply<TS, TV>(c00, row, column)); TS.Store(c + w, e.Apply<TS, TV>(c01, row, column + w)); c += p.Ldc;
        TS.Store(c, e.Apply<TS, TV>(c10, row + 1, column)); TS.Store(c + w, e.Apply<TS, TV>(c11, row + 1, column + w)); c += p.Ldc;
        TS.Store(c, e.Apply<TS, TV>(c20, row + 2, column)); TS.Store(c + w, e.Apply<TS, TV>(c21, row + 2, column + w)); c += p.Ldc;
        TS.Store(c, e.Apply<TS, TV>(c30, row + 3, column)); TS.Store(c + w, e.Apply<TS, TV>(c31, row + 3, column + w));
    }

    private static void Tile1x2<TS, TV, TE>(in Operands p, nint row, nint column, TE e)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        TV c00 = TS.Zero, c01 = TS.Zero;
        nint w = TS.Count;
        float* a0 = p.A + row * p.ARow;
        float* b = p.B + column;
        for (int k = 0; k < p.K; k++)
        {
            TV x = TS.Broadcast(*a0);
            c00 = TS.MultiplyAdd(x, TS.Load(b), c00); c01 = TS.MultiplyAdd(x, TS.Load(b + w), c01);
            a0 += p.ACol; b += p.Ldb;
        }
        float* c = p.C + row * p.Ldc + column;
        TS.Store(c, e.Apply<TS, TV>(c00, row, column)); TS.Store(c + w, e.Apply<TS, TV>(c01, row, column + w));
    }

    private static void Tile4x1<TS, TV, TE>(in Operands p, nint row, nint column, TE e)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero;
        nint aCol = p.ACol;
        float* a0 = p.A + row * p.ARow, a1 = a0 + p.ARow, a2 = a1 + p.ARow, a3 = a2 + p.ARow;
        float* b = p.B + column;
        for (int k = 0; k < p.K; k++)
        {
            TV b0 = TS.Load(b);
            c0 = TS.MultiplyAdd(TS.Broadcast(*a0), b0, c0);
            c1 = TS.MultiplyAdd(TS.Broadcast(*a1), b0, c1);
            c2 = TS.MultiplyAdd(TS.Broadcast(*a2), b0, c2);
            c3 = TS.MultiplyAdd(TS.Broadcast(*a3), b0, c3);
            a0 += aCol; a1 += aCol; a2 += aCol; a3 += aCol; b += p.Ldb;
        }
        float* c = p.C + row * p.Ldc + column;
        TS.Store(c, e.Apply<TS, TV>(c0, row, column)); c += p.Ldc;
        TS.Store(c, e.Apply<TS, TV>(c1, row + 1, column)); c += p.Ldc;
        TS.Store(c, e.Apply<TS, TV>(c2, row + 2, column)); c += p.Ldc;
        TS.Store(c, e.Apply<TS, TV>(c3, row + 3, column));
    }

    private static void Tile1x1<TS, TV, TE>(in Operands p, nint row, nint column, TE e)
        where TS : ISimd<TV> where TV : struct where TE : struct, IEpilogue
    {
        TV c0 = TS.Zero;
        float* a0 = p.A + row * p.ARow;
        float* b = p.B + column;
        for (int k = 0; k < p.K; k++)
        {
            c0 = TS.MultiplyAdd(TS.Broadcast(*a0), TS.Load(b), c0);
            a0 += p.ACol; b += p.Ldb;
        }
        TS.Store(p.C + row * p.Ldc + column, e.Apply<TS, TV>(c0, row, column));
    }
}
