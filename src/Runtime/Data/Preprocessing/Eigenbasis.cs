// The training set's mean and the eigendecomposition of its covariance: what PCA, PCA whitening and ZCA are built from.
using Functional.Kernels;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Functional.Data;

/// <summary>
/// μ and C = (1/n) Σ (x−μ)(x−μ)ᵀ of a training set, with C = U Λ Uᵀ: <see cref="Eigenvalues"/> in decreasing order,
/// <see cref="Components"/> row i the unit eigenvector of eigenvalue i. Dividing by n (not n−1) makes whitened
/// training data have exactly the identity as its (population) covariance.
/// </summary>
internal sealed class Eigenbasis
{
    // Rows per product when accumulating C: small enough that a float sum over the chunk keeps ~6 digits,
    // large enough that the GEMM runs at speed. Chunks are summed in double.
    private const int Chunk = 256;

    public required double[] Mean { get; init; }
    public required double[] Eigenvalues { get; init; }
    /// <summary>[d, d] row-major: row i is the i-th principal direction.</summary>
    public required double[] Components { get; init; }
    public int Dimension => Mean.Length;
    public double TotalVariance => Eigenvalues.Sum();

    public static Eigenbasis Fit(Dataset train)
    {
        int d = train.FeatureCount, n = train.Count;
        var mean = Statistics.Mean(train, Granularity.PerFeature);
        var covariance = Covariance(train, mean);

        // The symmetric eigensolver (Householder tridiagonalisation + QL) returns eigenvalues in increasing order.
        var evd = Matrix<double>.Build.Dense(d, d, covariance).Evd(Symmetricity.Symmetric);
        var values = new double[d];
        var vectors = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            int source = d - 1 - i;
            // Round-off can make a zero eigenvalue slightly negative; a variance cannot be.
            values[i] = Math.Max(evd.EigenValues[source].Real, 0);
            var v = evd.EigenVectors.Column(source);
            // An eigenvector's sign is arbitrary; fix it (largest entry positive) so a fit is reproducible across solvers.
            int largest = v.AbsoluteMaximumIndex();
            double sign = v[largest] < 0 ? -1 : 1;
            for (int j = 0; j < d; j++) vectors[i * d + j] = sign * v[j];
        }
        return new Eigenbasis { Mean = mean, Eigenvalues = values, Components = vectors };
    }

    /// <summary>(1/n) Xcᵀ Xc, accumulated chunk by chunk: each chunk's product in float SIMD, the running sum in double.</summary>
    private static double[] Covariance(Dataset train, double[] mean)
    {
        int d = train.FeatureCount, n = train.Count;
        var centred = new float[Chunk * d];
        var product = new float[d * d];
        var sum = new double[d * d];
        var mu = Statistics.ToFloats(mean);
        for (int start = 0; start < n; start += Chunk)
        {
            int rows = Math.Min(Chunk, n - start);
            for (int r = 0; r < rows; r++)
                System.Numerics.Tensors.TensorPrimitives.Subtract(train.Row(start + r), mu, centred.AsSpan(r * d, d));
            // Xcᵀ · Xc has exactly the shape of a weight gradient xᵀ · dz with dz = x.
            Gemm.WeightGradient(centred.AsSpan(0, rows * d), centred.AsSpan(0, rows * d), product, rows, d, d);
            for (int k = 0; k < sum.Length; k++) sum[k] += product[k];
        }
        // Mean removal in float leaves a tiny bias (the float-rounded mean); it is far below the float noise floor.
        for (int i = 0; i < d; i++)
            for (int j = 0; j < i; j++)
                sum[i * d + j] = sum[j * d + i] = 0.5 * (sum[i * d + j] + sum[j * d + i]);
        for (int k = 0; k < sum.Length; k++) sum[k] /= n;
        return sum;
    }
}

/// <summary>
/// z = (x − μ)·W with the runtime's GEMM, 4,096 rows at a time: PCA, PCA whitening and ZCA all reduce to it.
/// Centering comes first, in its own pass, rather than folded into a bias b = −μW: whitening weights reach
/// 1/√ε, and x·W − μ·W would cancel two large float sums, where (x − μ)·W never forms them.
/// </summary>
internal static class Affine
{
    private const int Rows = 4096;

    public static float[] Apply(Dataset data, float[] mean, float[] weights, int outputs)
    {
        int d = data.FeatureCount, n = data.Count;
        var z = new float[n * outputs];
        var zero = new float[outputs];
        var centred = new float[Math.Min(Rows, n) * d];
        for (int start = 0; start < n; start += Rows)
        {
            int rows = Math.Min(Rows, n - start);
            for (int r = 0; r < rows; r++)
                System.Numerics.Tensors.TensorPrimitives.Subtract(data.Row(start + r), mean, centred.AsSpan(r * d, d));
            Gemm.Forward<Identity>(centred.AsSpan(0, rows * d), weights, zero, z.AsSpan(start * outputs, rows * outputs), rows, d, outputs);
        }
        return z;
    }
}
