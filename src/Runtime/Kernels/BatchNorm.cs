// Batch normalization of a layer's pre-activation (per feature after a dense layer, per channel after a convolution), fused with the activation that follows it.
using System.Runtime.Intrinsics;

namespace Functional.Kernels;

/// <summary>
/// Per feature j of z [B, w]: x̂ = (z − μ_j)/√(σ²_j + ε), u = γ_j·x̂ + β_j, y = f(u). Training uses the batch's
/// μ and σ² (biased, as in the forward of the paper) and folds them into running averages (PyTorch's
/// convention: r ← (1 − m)·r + m·batch, with the unbiased variance); inference uses the running averages.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class BatchNorm
{
    /// <summary>
    /// Training forward. Writes x̂ and 1/σ for backward, and y = f(γ·x̂ + β); advances the running statistics.
    /// <paramref name="scratch"/> holds 2·width floats (the batch mean and variance).
    /// </summary>
    public static void ForwardTraining<TAct>(ReadOnlySpan<float> z, Span<float> xHat, Span<float> invStd, Span<float> y,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVariance, Span<float> scratch,
        int batch, int width, float momentum, float epsilon) where TAct : struct, IFixedActivation
        => ForwardTraining(z, xHat, invStd, y, gamma, beta, runningMean, runningVariance, scratch, batch, width, momentum, epsilon, default(TAct));

    /// <summary>The training forward with a parameterised <paramref name="activation"/> (leaky ReLU's slope, ELU's α) as a run-time value.</summary>
    public static void ForwardTraining<TAct>(ReadOnlySpan<float> z, Span<float> xHat, Span<float> invStd, Span<float> y,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVariance, Span<float> scratch,
        int batch, int width, float momentum, float epsilon, TAct activation) where TAct : struct, IActivation
    {
        Check(z, batch, width); Check(xHat, batch, width); Check(y, batch, width);
        CheckWidth(invStd, width, nameof(invStd)); CheckWidth(gamma, width, nameof(gamma)); CheckWidth(beta, width, nameof(beta));
        CheckWidth(runningMean, width, nameof(runningMean)); CheckWidth(runningVariance, width, nameof(runningVariance));
        if (scratch.Length < 2 * width) throw new ArgumentException($"the scratch holds {scratch.Length} floats, batch norm needs 2 × {width}", nameof(scratch));
        var mean = scratch.Slice(0, width);
        var variance = scratch.Slice(width, width);
        fixed (float* pz = z, px = xHat, py = y, pm = mean, pv = variance, pis = invStd, pg = gamma, pb = beta, prm = runningMean, prv = runningVariance)
        {
            // Σ z, then Σ (z − μ)² (two passes rather than E[z²] − μ², which cancels badly in float), then x̂ and y
            // together. The sums run down the columns, rows in order, in registers: summing row after row into
            // memory instead waited on its own stores (8 µs of a 64 × 256 forward's 18).
            int vectorEnd = Cpu.Current >= Isa.Vector256 ? width / Simd256.Count * Simd256.Count : 0;
            ColumnSums<Simd256, Vector256<float>>(pz, null, pm, batch, width, 0, vectorEnd, 1f / batch);
            ColumnSums<Scalar, float>(pz, null, pm, batch, width, vectorEnd, width, 1f / batch);
            ColumnSums<Simd256, Vector256<float>>(pz, pm, pv, batch, width, 0, vectorEnd, 1f / batch);
            ColumnSums<Scalar, float>(pz, pm, pv, batch, width, vectorEnd, width, 1f / batch);

            float keep = 1f - momentum, unbiased = batch > 1 ? (float)batch / (batch - 1) : 1f;
            Statistics<Simd256, Vector256<float>>(pm, pv, prm, prv, pis, 0, vectorEnd, keep, momentum, unbiased, epsilon);
            Statistics<Scalar, float>(pm, pv, prm, prv, pis, vectorEnd, width, keep, momentum, unbiased, epsilon);
            for (int b = 0; b < batch; b++)
                NormalizeActivate(pz + (nint)b * width, pm, pis, pg, pb, px + (nint)b * width, py + (nint)b * width, width, activation);
        }
    }

    /// <summary>
    /// For columns [from, to) of z [rows, width]: result = scale · Σ_rows z (<paramref name="mean"/> null) or
    /// scale · Σ_rows (z − mean)², each column summed in row order, four vectors of columns at a time in registers.
    /// </summary>
    private static void ColumnSums<TS, TV>(float* z, float* mean, float* result, int rows, int width, int from, int to, float scale)
        where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, j = from;
        TV factor = TS.Broadcast(scale);
        for (; j + 4 * w <= to; j += 4 * w)
        {
            TV m0 = TS.Zero, m1 = TS.Zero, m2 = TS.Zero, m3 = TS.Zero;
            if (mean != null) { m0 = TS.Load(mean + j); m1 = TS.Load(mean + j + w); m2 = TS.Load(mean + j + 2 * w); m3 = TS.Load(mean + j + 3 * w); }
            TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
            float* row = z + j;
            for (int b = 0; b < rows; b++, row += width)
            {
                s0 = TS.Add(s0, Term<TS, TV>(TS.Load(row), m0, mean != null)); s1 = TS.Add(s1, Term<TS, TV>(TS.Load(row + w), m1, mean != null));
                s2 = TS.Add(s2, Term<TS, TV>(TS.Load(row + 2 * w), m2, mean != null)); s3 = TS.Add(s3, Term<TS, TV>(TS.Load(row + 3 * w), m3, mean != null));
            }
            TS.Store(result + j, TS.Multiply(s0, factor)); TS.Store(result + j + w, TS.Multiply(s1, factor));
            TS.Store(result + j + 2 * w, TS.Multiply(s2, factor)); TS.Store(result + j + 3 * w, TS.Multiply(s3, factor));
        }
        for (; j + w <= to; j += w)
        {
            TV m = mean != null ? TS.Load(mean + j) : TS.Zero, sum = TS.Zero;
            float* row = z + j;
            for (int b = 0; b < rows; b++, row += width) sum = TS.Add(sum, Term<TS, TV>(TS.Load(row), m, mean != null));
            TS.Store(result + j, TS.Multiply(sum, factor));
        }
    }

    /// <summary>z, or (z − mean)².</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static TV Term<TS, TV>(TV z, TV mean, bool squaredDeviation) where TS : ISimd<TV> where TV : struct
    {
        if (!squaredDeviation) return z;
        TV d = TS.Subtract(z, mean);
        return TS.Multiply(d, d);
    }

    /// <summary>
    /// For features [from, to): running mean and variance r ← (1 − m)·r + m·batch (the variance unbiased), and
    /// σ⁻¹ = 1/√(σ² + ε). Multiplies, adds, the square root and the division are each rounded once, at any width.
    /// </summary>
    private static void Statistics<TS, TV>(float* mean, float* variance, float* runningMean, float* runningVariance, float* invStd,
        int from, int to, float keep, float momentum, float unbiased, float epsilon)
        where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count;
        TV k = TS.Broadcast(keep), m = TS.Broadcast(momentum), u = TS.Broadcast(unbiased), e = TS.Broadcast(epsilon), one = TS.Broadcast(1f);
        for (int j = from; j + w <= to; j += w)
        {
            TV mu = TS.Load(mean + j), sigma2 = TS.Load(variance + j);
            TS.Store(runningMean + j, TS.Add(TS.Multiply(k, TS.Load(runningMean + j)), TS.Multiply(m, mu)));
            TS.Store(runningVariance + j, TS.Add(TS.Multiply(k, TS.Load(runningVariance + j)), TS.Multiply(TS.Multiply(m, sigma2), u)));
            TS.Store(invStd + j, TS.Divide(one, SquareRoot<TS, TV>(TS.Add(sigma2, e))));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static TV SquareRoot<TS, TV>(TV x) where TS : ISimd<TV> where TV : struct
    {
        if (typeof(TV) == typeof(Vector256<float>)) return (TV)(object)Vector256.Sqrt((Vector256<float>)(object)x);
        return (TV)(object)MathF.Sqrt((float)(object)x);
    }

    /// <summary>One row: x̂ = (z − μ)·σ⁻¹, kept for backward, and y = f(γ·x̂ + β).</summary>
    private static void NormalizeActivate<TAct>(float* z, float* mean, float* invStd, float* gamma, float* beta, float* xHat, float* y, int width, TAct activation) where TAct : struct, IActivation
    {
        int j = 0;
        if (Cpu.Current >= Isa.Vector256)
            for (; j + Simd256.Count <= width; j += Simd256.Count)
            {
                var normal = (Vector256.Load(z + j) - Vector256.Load(mean + j)) * Vector256.Load(invStd + j);
                normal.Store(xHat + j);
                Simd256.Store(y + j, activation.Forward<Simd256, Vector256<float>>(Simd256.MultiplyAdd(normal, Vector256.Load(gamma + j), Vector256.Load(beta + j))));
            }
        for (; j < width; j++)
        {
            float normal = (z[j] - mean[j]) * invStd[j];
            xHat[j] = normal;
            y[j] = activation.Forward<Scalar, float>(normal * gamma[j] + beta[j]);
        }
    }

    /// <summary>Inference forward with the running statistics: y = f(z·s + t), s = γ/√(r_σ² + ε), t = β − r_μ·s.</summary>
    public static void ForwardInference<TAct>(ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> scratch, int batch, int width, float epsilon)
        where TAct : struct, IFixedActivation
        => ForwardInference(z, y, gamma, beta, runningMean, runningVariance, scratch, batch, width, epsilon, default(TAct));

    /// <summary>The inference forward with a parameterised <paramref name="activation"/> as a run-time value.</summary>
    public static void ForwardInference<TAct>(ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> scratch, int batch, int width, float epsilon, TAct activation)
        where TAct : struct, IActivation
    {
        Check(z, batch, width); Check(y, batch, width);
        var scale = scratch.Slice(0, width);
        var shift = scratch.Slice(width, width);
        for (int j = 0; j < width; j++)
        {
            scale[j] = gamma[j] / MathF.Sqrt(runningVariance[j] + epsilon);
            shift[j] = beta[j] - runningMean[j] * scale[j];
        }
        for (int b = 0; b < batch; b++) AffineActivate(z.Slice(b * width, width), scale, shift, y.Slice(b * width, width), activation);
    }

    /// <summary>
    /// Backward from du = ∂L/∂u: dγ = Σ_b du·x̂, dβ = Σ_b du, and dz = (γ/σ)/B · (B·du − dβ − x̂·dγ), written over du
    /// (in place is safe: each element is read before it is written).
    /// </summary>
    public static void Backward(Span<float> du, ReadOnlySpan<float> xHat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, int batch, int width)
    {
        Check(du, batch, width); Check(xHat, batch, width);
        CheckWidth(invStd, width, nameof(invStd)); CheckWidth(gamma, width, nameof(gamma));
        CheckWidth(dGamma, width, nameof(dGamma)); CheckWidth(dBeta, width, nameof(dBeta));
        fixed (float* pdu = du, px = xHat, pis = invStd, pg = gamma, pdg = dGamma, pdb = dBeta)
        {
            // dγ and dβ down the columns in registers (rows in order); then dz row by row, a vector of features at a
            // time (a column-by-column scalar loop walked du in 1 KB strides).
            int vectorEnd = Cpu.Current >= Isa.Vector256 ? width / Simd256.Count * Simd256.Count : 0;
            ScaleShiftGradients<Simd256, Vector256<float>>(pdu, px, pdg, pdb, batch, width, 0, vectorEnd);
            ScaleShiftGradients<Scalar, float>(pdu, px, pdg, pdb, batch, width, vectorEnd, width);
            for (int b = 0; b < batch; b++)
                InputGradientRow(pdu + (nint)b * width, px + (nint)b * width, pis, pg, pdg, pdb, batch, width);
        }
    }

    /// <summary>For features [from, to): dβ = Σ_rows du and dγ = Σ_rows du·x̂, rows in order, four vectors of features at a time.</summary>
    private static void ScaleShiftGradients<TS, TV>(float* du, float* xHat, float* dGamma, float* dBeta, int rows, int width, int from, int to)
        where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, j = from;
        for (; j + 4 * w <= to; j += 4 * w)
        {
            TV b0 = TS.Zero, b1 = TS.Zero, b2 = TS.Zero, b3 = TS.Zero, g0 = TS.Zero, g1 = TS.Zero, g2 = TS.Zero, g3 = TS.Zero;
            float* d = du + j, x = xHat + j;
            for (int r = 0; r < rows; r++, d += width, x += width)
            {
                TV d0 = TS.Load(d), d1 = TS.Load(d + w), d2 = TS.Load(d + 2 * w), d3 = TS.Load(d + 3 * w);
                b0 = TS.Add(b0, d0); b1 = TS.Add(b1, d1); b2 = TS.Add(b2, d2); b3 = TS.Add(b3, d3);
                g0 = TS.Add(TS.Multiply(d0, TS.Load(x)), g0); g1 = TS.Add(TS.Multiply(d1, TS.Load(x + w)), g1);
                g2 = TS.Add(TS.Multiply(d2, TS.Load(x + 2 * w)), g2); g3 = TS.Add(TS.Multiply(d3, TS.Load(x + 3 * w)), g3);
            }
            TS.Store(dBeta + j, b0); TS.Store(dBeta + j + w, b1); TS.Store(dBeta + j + 2 * w, b2); TS.Store(dBeta + j + 3 * w, b3);
            TS.Store(dGamma + j, g0); TS.Store(dGamma + j + w, g1); TS.Store(dGamma + j + 2 * w, g2); TS.Store(dGamma + j + 3 * w, g3);
        }
        for (; j + w <= to; j += w)
        {
            TV beta = TS.Zero, gamma = TS.Zero;
            float* d = du + j, x = xHat + j;
            for (int r = 0; r < rows; r++, d += width, x += width)
            {
                TV dr = TS.Load(d);
                beta = TS.Add(beta, dr);
                gamma = TS.Add(TS.Multiply(dr, TS.Load(x)), gamma);
            }
            TS.Store(dBeta + j, beta); TS.Store(dGamma + j, gamma);
        }
    }

    /// <summary>One row of dz = (γ·σ⁻¹/B) · (B·du − dβ − x̂·dγ), over du in place.</summary>
    private static void InputGradientRow(float* du, float* xHat, float* invStd, float* gamma, float* dGamma, float* dBeta, int batch, int width)
    {
        int j = 0;
        float count = batch;
        if (Cpu.Current >= Isa.Vector256)
        {
            Vector256<float> n = Vector256.Create(count);
            for (; j + Simd256.Count <= width; j += Simd256.Count)
            {
                var k = Vector256.Load(gamma + j) * Vector256.Load(invStd + j) / n;
                var inner = n * Vector256.Load(du + j) - Vector256.Load(dBeta + j) - Vector256.Load(xHat + j) * Vector256.Load(dGamma + j);
                (k * inner).Store(du + j);
            }
        }
        for (; j < width; j++)
            du[j] = gamma[j] * invStd[j] / count * (count * du[j] - dBeta[j] - xHat[j] * dGamma[j]);
    }

    /// <summary>y = f(x ⊙ scale + shift) over one row, vectorised: the BN affine and the activation in one pass.</summary>
    private static void AffineActivate<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y, TAct activation) where TAct : struct, IActivation
    {
        fixed (float* px = x, ps = scale, pt = shift, py = y)
        {
            int i = 0, n = y.Length;
            if (Cpu.Current >= Isa.Vector256)
                for (; i + Simd256.Count <= n; i += Simd256.Count)
                    Simd256.Store(py + i, activation.Forward<Simd256, Vector256<float>>(Simd256.MultiplyAdd(Simd256.Load(px + i), Simd256.Load(ps + i), Simd256.Load(pt + i))));
            for (; i < n; i++)
                py[i] = activation.Forward<Scalar, float>(px[i] * ps[i] + pt[i]);
        }
    }

    // ---- Per channel (BatchNorm2d): z [batch, channels, pixels], each channel's statistics over batch × pixels ----

    /// <summary>
    /// Training forward per channel of z [batch, channels, pixels] (NCHW, PyTorch's BatchNorm2d): μ_c and σ²_c over the
    /// batch × pixels values of channel c; writes x̂ [batch, channels, pixels], 1/σ [channels] for backward and
    /// y = f(γ_c·x̂ + β_c); advances the running statistics as <see cref="ForwardTraining{TAct}(ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, int, int, float, float)"/>
    /// does (the variance unbiased over n = batch·pixels). <paramref name="scratch"/> holds 2·channels floats (the batch mean and variance).
    /// </summary>
    public static void ChannelsForwardTraining<TAct>(ReadOnlySpan<float> z, Span<float> xHat, Span<float> invStd, Span<float> y,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVariance, Span<float> scratch,
        int batch, int channels, int pixels, float momentum, float epsilon) where TAct : struct, IFixedActivation
        => ChannelsForwardTraining(z, xHat, invStd, y, gamma, beta, runningMean, runningVariance, scratch, batch, channels, pixels, momentum, epsilon, default(TAct));

    /// <summary>The per-channel training forward with a parameterised <paramref name="activation"/> as a run-time value.</summary>
    public static void ChannelsForwardTraining<TAct>(ReadOnlySpan<float> z, Span<float> xHat, Span<float> invStd, Span<float> y,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVariance, Span<float> scratch,
        int batch, int channels, int pixels, float momentum, float epsilon, TAct activation) where TAct : struct, IActivation
    {
        CheckPlanes(batch, channels, pixels);
        CheckPlanes(z, batch, channels, pixels, nameof(z)); CheckPlanes(xHat, batch, channels, pixels, nameof(xHat)); CheckPlanes(y, batch, channels, pixels, nameof(y));
        CheckChannels(invStd, channels, nameof(invStd)); CheckChannels(gamma, channels, nameof(gamma)); CheckChannels(beta, channels, nameof(beta));
        CheckChannels(runningMean, channels, nameof(runningMean)); CheckChannels(runningVariance, channels, nameof(runningVariance));
        if (scratch.Length < 2 * channels) throw new ArgumentException($"the scratch holds {scratch.Length} floats, per-channel batch norm needs 2 × {channels}", nameof(scratch));
        fixed (float* pz = z, px = xHat, py = y, ps = scratch, pis = invStd, pg = gamma, pb = beta, prm = runningMean, prv = runningVariance)
        {
            var a = new ChannelArguments(batch, channels, pixels);
            switch (Cpu.Current)
            {
                case Isa.Vector512: ChannelsTraining<Simd512, Vector512<float>, TAct>(pz, px, py, ps, pis, pg, pb, prm, prv, a, momentum, epsilon, activation); break;
                case Isa.Vector256: ChannelsTraining<Simd256, Vector256<float>, TAct>(pz, px, py, ps, pis, pg, pb, prm, prv, a, momentum, epsilon, activation); break;
                case Isa.Vector128: ChannelsTraining<Simd128, Vector128<float>, TAct>(pz, px, py, ps, pis, pg, pb, prm, prv, a, momentum, epsilon, activation); break;
                default: ChannelsTraining<Scalar, float, TAct>(pz, px, py, ps, pis, pg, pb, prm, prv, a, momentum, epsilon, activation); break;
            }
        }
    }

    /// <summary>The per-channel inference forward with the running statistics: y = f(z·s_c + t_c), s = γ/√(r_σ² + ε), t = β − r_μ·s; <paramref name="scratch"/> holds 2·channels floats (s and t).</summary>
    public static void ChannelsForwardInference<TAct>(ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> scratch, int batch, int channels, int pixels, float epsilon)
        where TAct : struct, IFixedActivation
        => ChannelsForwardInference(z, y, gamma, beta, runningMean, runningVariance, scratch, batch, channels, pixels, epsilon, default(TAct));

    /// <summary>The per-channel inference forward with a parameterised <paramref name="activation"/> as a run-time value.</summary>
    public static void ChannelsForwardInference<TAct>(ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> scratch, int batch, int channels, int pixels, float epsilon, TAct activation)
        where TAct : struct, IActivation
    {
        CheckPlanes(batch, channels, pixels);
        CheckPlanes(z, batch, channels, pixels, nameof(z)); CheckPlanes(y, batch, channels, pixels, nameof(y));
        CheckChannels(gamma, channels, nameof(gamma)); CheckChannels(beta, channels, nameof(beta));
        CheckChannels(runningMean, channels, nameof(runningMean)); CheckChannels(runningVariance, channels, nameof(runningVariance));
        if (scratch.Length < 2 * channels) throw new ArgumentException($"the scratch holds {scratch.Length} floats, per-channel batch norm needs 2 × {channels}", nameof(scratch));
        var scale = scratch.Slice(0, channels);
        var shift = scratch.Slice(channels, channels);
        for (int c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] / MathF.Sqrt(runningVariance[c] + epsilon);
            shift[c] = beta[c] - runningMean[c] * scale[c];
        }
        fixed (float* pz = z, py = y, ps = scale, pt = shift)
        {
            var a = new ChannelArguments(batch, channels, pixels);
            switch (Cpu.Current)
            {
                case Isa.Vector512: ChannelsInference<Simd512, Vector512<float>, TAct>(pz, py, ps, pt, a, activation); break;
                case Isa.Vector256: ChannelsInference<Simd256, Vector256<float>, TAct>(pz, py, ps, pt, a, activation); break;
                case Isa.Vector128: ChannelsInference<Simd128, Vector128<float>, TAct>(pz, py, ps, pt, a, activation); break;
                default: ChannelsInference<Scalar, float, TAct>(pz, py, ps, pt, a, activation); break;
            }
        }
    }

    /// <summary>
    /// Per-channel backward from du = ∂L/∂u [batch, channels, pixels]: dγ_c = Σ du·x̂, dβ_c = Σ du over the channel's
    /// n = batch·pixels values, and dz = (γ/σ)/n · (n·du − dβ − x̂·dγ), written over du as <see cref="Backward"/> does.
    /// </summary>
    public static void ChannelsBackward(Span<float> du, ReadOnlySpan<float> xHat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, int batch, int channels, int pixels)
    {
        CheckPlanes(batch, channels, pixels);
        CheckPlanes(du, batch, channels, pixels, nameof(du)); CheckPlanes(xHat, batch, channels, pixels, nameof(xHat));
        CheckChannels(invStd, channels, nameof(invStd)); CheckChannels(gamma, channels, nameof(gamma));
        CheckChannels(dGamma, channels, nameof(dGamma)); CheckChannels(dBeta, channels, nameof(dBeta));
        fixed (float* pdu = du, px = xHat, pis = invStd, pg = gamma, pdg = dGamma, pdb = dBeta)
        {
            var a = new ChannelArguments(batch, channels, pixels);
            switch (Cpu.Current)
            {
                case Isa.Vector512: ChannelsGradient<Simd512, Vector512<float>>(pdu, px, pis, pg, pdg, pdb, a); break;
                case Isa.Vector256: ChannelsGradient<Simd256, Vector256<float>>(pdu, px, pis, pg, pdg, pdb, a); break;
                case Isa.Vector128: ChannelsGradient<Simd128, Vector128<float>>(pdu, px, pis, pg, pdg, pdb, a); break;
                default: ChannelsGradient<Scalar, float>(pdu, px, pis, pg, pdg, pdb, a); break;
            }
        }
    }

    /// <summary>Pixels summed in float before a sum moves to double: few enough per lane that float rounding stays near u.</summary>
    private const int Block = 256;

    /// <summary>The sizes of a [batch, channels, pixels] tensor; plane (b, c) starts at Row(b, c).</summary>
    private readonly struct ChannelArguments(int batch, int channels, int pixels)
    {
        public readonly int Batch = batch, Channels = channels, Pixels = pixels;
        public nint Row(int b, int c) => ((nint)b * Channels + c) * Pixels;
        /// <summary>n, the values each channel's statistics run over.</summary>
        public int Count => Batch * Pixels;
    }

    private static void ChannelsTraining<TS, TV, TAct>(float* z, float* xHat, float* y, float* scratch, float* invStd, float* gamma, float* beta,
        float* runningMean, float* runningVariance, ChannelArguments a, float momentum, float epsilon, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        float* mean = scratch, variance = scratch + a.Channels;
        float keep = 1f - momentum, unbiased = a.Count > 1 ? (float)a.Count / (a.Count - 1) : 1f;
        for (int c = 0; c < a.Channels; c++)
        {
            // A channel holds up to batch·pixels = 50,176 values (64 × 28 × 28): one float sum over them all would lose
            // about √n·u of its size. Each block of at most 256 pixels is summed in float (spread over the vector's
            // lanes: at most 64 terms per lane at any width), twice while it sits in L1 — Σ z, then Σ (z − m) and
            // Σ (z − m)² about its rounded mean m, which corrects m — and the blocks are merged in double by Chan's
            // pairwise update of mean and M2.
            double count = 0, mu = 0, m2 = 0;
            for (int b = 0; b < a.Batch; b++)
                for (int p = 0; p < a.Pixels; p += Block)
                {
                    float* block = z + a.Row(b, c) + p;
                    int length = Math.Min(Block, a.Pixels - p);
                    float blockMean = Convolution.Sum<TS, TV>(block, length) / length;
                    CenteredSums<TS, TV>(block, length, blockMean, out float deviation, out float squares);
                    double exactMean = blockMean + (double)deviation / length, blockM2 = squares - (double)deviation * deviation / length;
                    double total = count + length, delta = exactMean - mu;
                    mu += delta * length / total;
                    m2 += blockM2 + delta * delta * count * length / total;
                    count = total;
                }
            mean[c] = (float)mu;
            variance[c] = (float)Math.Max(0, m2 / count);
            // The dense kernel's statistics, operation for operation, one channel at a time.
            float sigma2 = variance[c];
            runningMean[c] = keep * runningMean[c] + momentum * mean[c];
            runningVariance[c] = keep * runningVariance[c] + momentum * sigma2 * unbiased;
            invStd[c] = 1f / MathF.Sqrt(sigma2 + epsilon);
        }
        for (int b = 0; b < a.Batch; b++)
            for (int c = 0; c < a.Channels; c++)
            {
                nint at = a.Row(b, c);
                NormalizeActivatePlane<TS, TV, TAct>(z + at, xHat + at, y + at, a.Pixels, mean[c], invStd[c], gamma[c], beta[c], activation);
            }
    }

    /// <summary>One plane: x̂ = (z − μ)·σ⁻¹, kept for backward, and y = f(γ·x̂ + β), μ, σ⁻¹, γ, β the channel's.</summary>
    private static void NormalizeActivatePlane<TS, TV, TAct>(float* z, float* xHat, float* y, int pixels, float mean, float invStd, float gamma, float beta, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        int w = TS.Count, i = 0;
        TV m = TS.Broadcast(mean), s = TS.Broadcast(invStd), g = TS.Broadcast(gamma), t = TS.Broadcast(beta);
        for (; i + w <= pixels; i += w)
        {
            TV normal = TS.Multiply(TS.Subtract(TS.Load(z + i), m), s);
            TS.Store(xHat + i, normal);
            TS.Store(y + i, activation.Forward<TS, TV>(TS.MultiplyAdd(normal, g, t)));
        }
        for (; i < pixels; i++)
        {
            float normal = (z[i] - mean) * invStd;
            xHat[i] = normal;
            y[i] = activation.Forward<Scalar, float>(normal * gamma + beta);
        }
    }

    private static void ChannelsInference<TS, TV, TAct>(float* z, float* y, float* scale, float* shift, ChannelArguments a, TAct activation)
        where TS : ISimd<TV> where TV : struct where TAct : struct, IActivation
    {
        int w = TS.Count;
        for (int b = 0; b < a.Batch; b++)
            for (int c = 0; c < a.Channels; c++)
            {
                float* zr = z + a.Row(b, c), yr = y + a.Row(b, c);
                TV s = TS.Broadcast(scale[c]), t = TS.Broadcast(shift[c]);
                int i = 0;
                for (; i + w <= a.Pixels; i += w) TS.Store(yr + i, activation.Forward<TS, TV>(TS.MultiplyAdd(TS.Load(zr + i), s, t)));
                for (; i < a.Pixels; i++) yr[i] = activation.Forward<Scalar, float>(zr[i] * scale[c] + shift[c]);
            }
    }

    private static void ChannelsGradient<TS, TV>(float* du, float* xHat, float* invStd, float* gamma, float* dGamma, float* dBeta, ChannelArguments a)
        where TS : ISimd<TV> where TV : struct
    {
        // dβ and dγ as the statistics are summed: each block of a plane in float across the lanes, the blocks added in double.
        for (int c = 0; c < a.Channels; c++)
        {
            double sumBeta = 0, sumGamma = 0;
            for (int b = 0; b < a.Batch; b++)
                for (int p = 0; p < a.Pixels; p += Block)
                {
                    nint at = a.Row(b, c) + p;
                    GradientSums<TS, TV>(du + at, xHat + at, Math.Min(Block, a.Pixels - p), out float blockBeta, out float blockGamma);
                    sumBeta += blockBeta;
                    sumGamma += blockGamma;
                }
            dBeta[c] = (float)sumBeta;
            dGamma[c] = (float)sumGamma;
        }
        int w = TS.Count;
        float count = a.Count;
        TV n = TS.Broadcast(count);
        for (int b = 0; b < a.Batch; b++)
            for (int c = 0; c < a.Channels; c++)
            {
                float* d = du + a.Row(b, c), x = xHat + a.Row(b, c);
                float kc = gamma[c] * invStd[c] / count;
                TV k = TS.Broadcast(kc), db = TS.Broadcast(dBeta[c]), dg = TS.Broadcast(dGamma[c]);
                int i = 0;
                for (; i + w <= a.Pixels; i += w)
                    TS.Store(d + i, TS.Multiply(k, TS.Subtract(TS.Subtract(TS.Multiply(n, TS.Load(d + i)), db), TS.Multiply(TS.Load(x + i), dg))));
                for (; i < a.Pixels; i++) d[i] = kc * (count * d[i] - dBeta[c] - x[i] * dGamma[c]);
            }
    }

    /// <summary>Σ (x − center) and Σ (x − center)² of n floats, in the lanes as <see cref="Convolution.Sum{TS, TV}"/>.</summary>
    private static void CenteredSums<TS, TV>(float* x, int n, float center, out float deviation, out float squares) where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, i = 0;
        TV m = TS.Broadcast(center), d0 = TS.Zero, d1 = TS.Zero, q0 = TS.Zero, q1 = TS.Zero;
        for (; i + 2 * w <= n; i += 2 * w)
        {
            TV e0 = TS.Subtract(TS.Load(x + i), m), e1 = TS.Subtract(TS.Load(x + i + w), m);
            d0 = TS.Add(d0, e0); d1 = TS.Add(d1, e1);
            q0 = TS.MultiplyAdd(e0, e0, q0); q1 = TS.MultiplyAdd(e1, e1, q1);
        }
        for (; i + w <= n; i += w)
        {
            TV e = TS.Subtract(TS.Load(x + i), m);
            d0 = TS.Add(d0, e);
            q0 = TS.MultiplyAdd(e, e, q0);
        }
        deviation = Lanes<TS, TV>(TS.Add(d0, d1));
        squares = Lanes<TS, TV>(TS.Add(q0, q1));
        for (; i < n; i++)
        {
            float e = x[i] - center;
            deviation += e;
            squares += e * e;
        }
    }

    /// <summary>Σ du and Σ du·x̂ over n floats, in the lanes as <see cref="Convolution.Sum{TS, TV}"/>.</summary>
    private static void GradientSums<TS, TV>(float* du, float* xHat, int n, out float sumBeta, out float sumGamma) where TS : ISimd<TV> where TV : struct
    {
        int w = TS.Count, i = 0;
        TV b0 = TS.Zero, b1 = TS.Zero, g0 = TS.Zero, g1 = TS.Zero;
        for (; i + 2 * w <= n; i += 2 * w)
        {
            TV e0 = TS.Load(du + i), e1 = TS.Load(du + i + w);
            b0 = TS.Add(b0, e0); b1 = TS.Add(b1, e1);
            g0 = TS.MultiplyAdd(e0, TS.Load(xHat + i), g0); g1 = TS.MultiplyAdd(e1, TS.Load(xHat + i + w), g1);
        }
        for (; i + w <= n; i += w)
        {
            TV e = TS.Load(du + i);
            b0 = TS.Add(b0, e);
            g0 = TS.MultiplyAdd(e, TS.Load(xHat + i), g0);
        }
        sumBeta = Lanes<TS, TV>(TS.Add(b0, b1));
        sumGamma = Lanes<TS, TV>(TS.Add(g0, g1));
        for (; i < n; i++)
        {
            sumBeta += du[i];
            sumGamma += du[i] * xHat[i];
        }
    }

    /// <summary>The sum of a vector's lanes, first to last (a call of its own: the JIT inlines no stackalloc, and one per block is cheap).</summary>
    private static float Lanes<TS, TV>(TV v) where TS : ISimd<TV> where TV : struct
    {
        float* lanes = stackalloc float[16];
        TS.Store(lanes, v);
        float sum = 0;
        for (int i = 0; i < TS.Count; i++) sum += lanes[i];
        return sum;
    }

    private static void CheckPlanes(int batch, int channels, int pixels)
    {
        if (batch < 1 || channels < 1 || pixels < 1)
            throw new ArgumentOutOfRangeException(nameof(batch), $"per-channel batch norm needs batch, channels and pixels ≥ 1, got {batch} × {channels} × {pixels}");
        if ((long)batch * channels * pixels > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), $"{batch} × {channels} × {pixels} values do not fit a span");
    }

    private static void CheckPlanes(ReadOnlySpan<float> span, int batch, int channels, int pixels, string name)
    {
        if (span.Length < batch * channels * pixels)
            throw new ArgumentException($"{name} holds {span.Length} floats, per-channel batch norm needs {batch} × {channels} × {pixels}", name);
    }

    private static void CheckChannels(ReadOnlySpan<float> span, int channels, string name)
    {
        if (span.Length < channels) throw new ArgumentException($"{name} holds {span.Length} floats for {channels} channels", name);
    }

    private static void CheckWidth(ReadOnlySpan<float> span, int width, string name)
    {
        if (span.Length < width) throw new ArgumentException($"{name} holds {span.Length} floats for {width} features", name);
    }

    private static void Check(ReadOnlySpan<float> span, int batch, int width)
    {
        if (span.Length < batch * width) throw new ArgumentException($"a buffer of {span.Length} floats cannot hold {batch} × {width}");
    }
}
