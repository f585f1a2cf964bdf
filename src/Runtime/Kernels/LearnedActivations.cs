// Activations that need the pre-activation kept: PReLU (its slope is learned) and Maxout (max over k pieces).
namespace Functional.Kernels;

/// <summary>
/// Parametric ReLU over u [B, units]: y = u for u &gt; 0, else a·u, with a learned slope per unit (or one shared).
/// Backward needs u, not y, because a learned slope may turn negative.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class PRelu
{
    /// <summary>y = u for u &gt; 0, else a·u, with a = <c>slope[0]</c> when shared, else <c>slope[j]</c>. Used by generated network code; not meant to be called directly.</summary>
    public static void Forward(ReadOnlySpan<float> u, ReadOnlySpan<float> slope, Span<float> y, int batch, int units)
    {
        bool shared = slope.Length == 1;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < units; j++)
            {
                int i = b * units + j;
                float v = u[i];
                y[i] = v > 0f ? v : (shared ? slope[0] : slope[j]) * v;
            }
    }

    /// <summary>du = dy·(u &gt; 0 ? 1 : a) written over dy; dSlope = Σ dy·u over u ≤ 0 (overwritten).</summary>
    public static void Backward(Span<float> dy, ReadOnlySpan<float> u, ReadOnlySpan<float> slope, Span<float> dSlope, int batch, int units)
    {
        bool shared = slope.Length == 1;
        dSlope.Clear();
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < units; j++)
            {
                int i = b * units + j;
                float v = u[i], g = dy[i];
                if (v > 0f) continue;
                int k = shared ? 0 : j;
                dSlope[k] += g * v;
                dy[i] = g * slope[k];
            }
    }
}

/// <summary>
/// Maxout over u [B, units·k]: unit j's pieces are columns j·k … j·k + k − 1, and y[b, j] is their maximum.
/// The gradient flows only to the winning piece (the first, on ties).
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Maxout
{
    /// <summary>y[b, j] = max over unit j's <paramref name="pieces"/> columns of u. Used by generated network code; not meant to be called directly.</summary>
    public static void Forward(ReadOnlySpan<float> u, Span<float> y, int batch, int units, int pieces)
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < units; j++)
            {
                var group = u.Slice((b * units + j) * pieces, pieces);
                float best = group[0];
                for (int p = 1; p < pieces; p++) if (group[p] > best) best = group[p];
                y[b * units + j] = best;
            }
    }

    /// <summary>du [B, units·k]: dy routed to each unit's winning piece, zero elsewhere.</summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> u, Span<float> du, int batch, int units, int pieces)
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < units; j++)
            {
                int start = (b * units + j) * pieces;
                var group = u.Slice(start, pieces);
                int winner = 0;
                for (int p = 1; p < pieces; p++) if (group[p] > group[winner]) winner = p;
                var target = du.Slice(start, pieces);
                target.Clear();
                target[winner] = dy[b * units + j];
            }
    }
}

/// <summary>
/// Inverted dropout: each value survives with probability 1 − p and is scaled by 1/(1 − p), so the expected
/// output equals the input and inference needs no change. Masks come from a seed, so a run can be replayed.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class Dropout
{
    /// <summary>mask[i] = 0 with probability p, else 1/(1 − p), drawn from <paramref name="seed"/>.</summary>
    public static void FillMask(Span<float> mask, float p, long seed)
    {
        var random = new Xoshiro256(seed); // a value on the stack: a mask every step must not allocate
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.Length; i++) mask[i] = random.NextDouble() < p ? 0f : keep;
    }

    /// <summary>A seed derived from another and a salt (a step number, a layer index), mixed so neighbours are unrelated.</summary>
    public static long Mix(long seed, long salt) => (long)(((ulong)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(salt + 1) * 0xD1B54A32D192ED03UL));

    /// <summary>y = a ⊙ mask, with a fresh mask.</summary>
    public static void Forward(ReadOnlySpan<float> a, Span<float> mask, Span<float> y, float p, long seed)
    {
        FillMask(mask, p, seed);
        System.Numerics.Tensors.TensorPrimitives.Multiply(a, mask, y);
    }

    /// <summary>dy ← dy ⊙ mask, over dy's length (the mask buffer may be sized for a larger batch).</summary>
    public static void Backward(Span<float> dy, ReadOnlySpan<float> mask) => System.Numerics.Tensors.TensorPrimitives.Multiply(dy, mask.Slice(0, dy.Length), dy);
}
