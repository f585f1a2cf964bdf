// Matrix transpose for the input-gradient product: 8×8 blocks through AVX registers, a cache-blocked scalar loop elsewhere.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Functional.Kernels;

/// <summary>destination[cols, rows] = sourceᵀ. A pure copy, so every path gives identical results.</summary>
internal static unsafe class Transposition
{
    private const int Block = 32;

    public static void Run(float* source, float* destination, int rows, int cols)
    {
        bool vector = Avx.IsSupported && Cpu.Current >= Isa.Vector256;
        int strips = (cols + Block - 1) / Block;
        int chunks = Math.Min(strips, Parallelism.ChunksForElements((long)rows * cols));
        var job = new Job(source, destination, rows, cols, strips, vector);
        if (chunks <= 1) Strips(source, destination, rows, cols, 0, cols, vector);
        else Parallelism.Run(ref job, chunks);
    }

    /// <summary>Source columns [first·32, last·32): destination rows, so chunks never write the same memory.</summary>
    private readonly struct Job(float* source, float* destination, int rows, int cols, int strips, bool vector) : IParallelJob
    {
        public void Run(int chunk, int chunks)
        {
            var (first, last) = Parallelism.Range(strips, chunk, chunks);
            if (first < last) Strips(source, destination, rows, cols, first * Block, Math.Min(last * Block, cols), vector);
        }
    }

    /// <summary>Transposes source columns [cFrom, cTo) (cFrom a multiple of 32) for every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strips(float* source, float* destination, int rows, int cols, int cFrom, int cTo, bool vector)
    {
        int r8 = 0, c8 = cFrom;
        if (vector)
        {
            // Strips of 16 source columns, walked down all rows in 8×8 register transposes: each step reads whole
            // 64-byte lines of the source and extends the same 16 destination rows, whose lines stay in L1 until
            // they are full. (Square tiles, with a power-of-two row length, put their destination lines in a few
            // cache sets and evict them half-written.)
            r8 = rows & ~7; c8 = cFrom + ((cTo - cFrom) & ~7);
            int c = cFrom;
            for (; c + 16 <= c8; c += 16)
                for (int r = 0; r < r8; r += 8)
                {
                    Transpose8x8(source + (nint)r * cols + c, cols, destination + (nint)c * rows + r, rows);
                    Transpose8x8(source + (nint)r * cols + c + 8, cols, destination + (nint)(c + 8) * rows + r, rows);
                }
            for (; c < c8; c += 8)
                for (int r = 0; r < r8; r += 8)
                    Transpose8x8(source + (nint)r * cols + c, cols, destination + (nint)c * rows + r, rows);
        }
        // Whatever the vector blocks left: the columns past c8 for all rows, and the rows past r8 for columns [cFrom, c8).
        Scalar(source, destination, rows, cols, 0, rows, c8, cTo);
        Scalar(source, destination, rows, cols, r8, rows, cFrom, c8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scalar(float* source, float* destination, int rows, int cols, int rFrom, int rTo, int cFrom, int cTo)
    {
        for (int r0 = rFrom; r0 < rTo; r0 += Block)
            for (int c0 = cFrom; c0 < cTo; c0 += Block)
            {
                int r1 = Math.Min(r0 + Block, rTo), c1 = Math.Min(c0 + Block, cTo);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        destination[(nint)c * rows + r] = source[(nint)r * cols + c];
            }
    }

    /// <summary>The classic unpack / shuffle / lane-permute transpose of eight 8-float rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint lds, float* d, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + lds), r2 = Avx.LoadVector256(s + 2 * lds), r3 = Avx.LoadVector256(s + 3 * lds);
        Vector256<float> r4 = Avx.LoadVector256(s + 4 * lds), r5 = Avx.LoadVector256(s + 5 * lds), r6 = Avx.LoadVector256(s + 6 * lds), r7 = Avx.LoadVector256(s + 7 * lds);
        // Interleave pairs of rows: t0 = a0 b0 a1 b1 | a4 b4 a5 b5, …
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        // Gather quadruples: u0 = a0 b0 c0 d0 | a4 b4 c4 d4, …
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Join the 128-bit halves of rows 0–3 and 4–7.
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
