// Batch normalization of a layer's pre-activation, fused with the activation that follows it.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Functional.Kernels;

/// <summary>
/// Per feature j of z [B, w]: x̂ = (z − μ_j)/√(σ²_j + ε), u = γ_j·x̂ + β_j, y = f(u). Training uses the batch's
/// μ and σ² (biased, as in the forward of the paper) and folds them into running averages (PyTorch's
/// convention: r ← (1 − m)·r + m·batch, with the unbiased variance); inference uses the running averages.
/// </summary>
public static unsafe class BatchNorm
{
    /// <summary>
    /// Training forward. Writes x̂ and 1/σ for backward, and y = f(γ·x̂ + β); advances the running statistics.
    /// <paramref name="scratch"/> holds 2·width floats (the batch mean and variance).
    /// </summary>
    public static void ForwardTraining<TAct>(ReadOnlySpan<float> z, Span<float> xHat, Span<float> invStd, Span<float> y,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> runningMean, Span<float> runningVariance, Span<float> scratch,
        int batch, int width, float momentum, float epsilon) where TAct : IActivation
    {
        Check(z, batch, width); Check(xHat, batch, width); Check(y, batch, width);
        if (scratch.Length < 2 * width) throw new ArgumentException($"the scratch holds {scratch.Length} floats, batch norm needs 2 × {width}", nameof(scratch));
        var mean = scratch.Slice(0, width);
        var variance = scratch.Slice(width, width);
        fixed (float* pz = z, px = xHat, py = y, pm = mean, pv = variance, pis = invStd, pg = gamma, pb = beta)
        {
            // Row by row in vectors, in three sweeps: Σ z, then Σ (z − μ)² (two passes rather than E[z²] − μ², which
            // cancels badly in float), then x̂ and y together.
            mean.Clear();
            for (int b = 0; b < batch; b++) Accumulate(pm, pz + (nint)b * width, null, width);
            TensorPrimitives.Multiply(mean, 1f / batch, mean);
            variance.Clear();
            for (int b = 0; b < batch; b++) Accumulate(pv, pz + (nint)b * width, pm, width);
            TensorPrimitives.Multiply(variance, 1f / batch, variance);

            float keep = 1f - momentum, unbiased = batch > 1 ? (float)batch / (batch - 1) : 1f;
            for (int j = 0; j < width; j++)
            {
                runningMean[j] = keep * runningMean[j] + momentum * mean[j];
                runningVariance[j] = keep * runningVariance[j] + momentum * variance[j] * unbiased;
                invStd[j] = 1f / MathF.Sqrt(variance[j] + epsilon);
            }
            for (int b = 0; b < batch; b++)
                NormalizeActivate<TAct>(pz + (nint)b * width, pm, pis, pg, pb, px + (nint)b * width, py + (nint)b * width, width);
        }
    }

    /// <summary>sum += row (<paramref name="mean"/> null) or sum += (row − mean)², over one row.</summary>
    private static void Accumulate(float* sum, float* row, float* mean, int width)
    {
        int j = 0;
        if (Cpu.Current >= Isa.Vector256)
            for (; j + Simd256.Count <= width; j += Simd256.Count)
            {
                var v = Vector256.Load(row + j);
                if (mean != null) { v -= Vector256.Load(mean + j); v *= v; }
                (Vector256.Load(sum + j) + v).Store(sum + j);
            }
        for (; j < width; j++)
        {
            float v = mean != null ? (row[j] - mean[j]) * (row[j] - mean[j]) : row[j];
            sum[j] += v;
        }
    }

    /// <summary>One row: x̂ = (z − μ)·σ⁻¹, kept for backward, and y = f(γ·x̂ + β).</summary>
    private static void NormalizeActivate<TAct>(float* z, float* mean, float* invStd, float* gamma, float* beta, float* xHat, float* y, int width) where TAct : IActivation
    {
        int j = 0;
        if (Cpu.Current >= Isa.Vector256)
            for (; j + Simd256.Count <= width; j += Simd256.Count)
            {
                var normal = (Vector256.Load(z + j) - Vector256.Load(mean + j)) * Vector256.Load(invStd + j);
                normal.Store(xHat + j);
                Simd256.Store(y + j, TAct.Forward<Simd256, Vector256<float>>(Simd256.MultiplyAdd(normal, Vector256.Load(gamma + j), Vector256.Load(beta + j))));
            }
        for (; j < width; j++)
        {
            float normal = (z[j] - mean[j]) * invStd[j];
            xHat[j] = normal;
            y[j] = TAct.Forward<Scalar, float>(normal * gamma[j] + beta[j]);
        }
    }

    /// <summary>Inference forward with the running statistics: y = f(z·s + t), s = γ/√(r_σ² + ε), t = β − r_μ·s.</summary>
    public static void ForwardInference<TAct>(ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> scratch, int batch, int width, float epsilon)
        where TAct : IActivation
    {
        Check(z, batch, width); Check(y, batch, width);
        var scale = scratch.Slice(0, width);
        var shift = scratch.Slice(width, width);
        for (int j = 0; j < width; j++)
        {
            scale[j] = gamma[j] / MathF.Sqrt(runningVariance[j] + epsilon);
            shift[j] = beta[j] - runningMean[j] * scale[j];
        }
        for (int b = 0; b < batch; b++) AffineActivate<TAct>(z.Slice(b * width, width), scale, shift, y.Slice(b * width, width));
    }

    /// <summary>
    /// Backward from du = ∂L/∂u: dγ = Σ_b du·x̂, dβ = Σ_b du, and dz = (γ/σ)/B · (B·du − dβ − x̂·dγ), written over du
    /// (in place is safe: each element is read before it is written).
    /// </summary>
    public static void Backward(Span<float> du, ReadOnlySpan<float> xHat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, int batch, int width)
    {
        Check(du, batch, width); Check(xHat, batch, width);
        dGamma.Slice(0, width).Clear();
        dBeta.Slice(0, width).Clear();
        for (int b = 0; b < batch; b++)
        {
            var row = du.Slice(b * width, width);
            TensorPrimitives.Add(dBeta.Slice(0, width), row, dBeta.Slice(0, width));
            TensorPrimitives.MultiplyAdd(row, xHat.Slice(b * width, width), dGamma.Slice(0, width), dGamma.Slice(0, width));
        }
        // Row by row, a vector of features at a time (a column-by-column scalar loop walked du in 1 KB strides).
        fixed (float* pdu = du, px = xHat, pis = invStd, pg = gamma, pdg = dGamma, pdb = dBeta)
            for (int b = 0; b < batch; b++)
                InputGradientRow(pdu + (nint)b * width, px + (nint)b * width, pis, pg, pdg, pdb, batch, width);
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
    private static void AffineActivate<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y) where TAct : IActivation
    {
        fixed (float* px = x, ps = scale, pt = shift, py = y)
        {
            int i = 0, n = y.Length;
            if (Cpu.Current >= Isa.Vector256)
                for (; i + Simd256.Count <= n; i += Simd256.Count)
                    Simd256.Store(py + i, TAct.Forward<Simd256, Vector256<float>>(Simd256.MultiplyAdd(Simd256.Load(px + i), Simd256.Load(ps + i), Simd256.Load(pt + i))));
            for (; i < n; i++)
                py[i] = TAct.Forward<Scalar, float>(px[i] * ps[i] + pt[i]);
        }
    }

    private static void Check(ReadOnlySpan<float> span, int batch, int width)
    {
        if (span.Length < batch * width) throw new ArgumentException($"a buffer of {span.Length} floats cannot hold {batch} × {width}");
    }
}
