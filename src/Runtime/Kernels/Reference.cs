// Naive reference implementations: plain loops in double precision, the yardstick for every fast kernel and gradient check.
namespace Functional.Kernels;

/// <summary>
/// Straightforward, obviously-correct versions of what the fast kernels do. Generated networks build their
/// <c>ReferenceLoss</c> from these; tests compare the SIMD kernels against them.
/// </summary>
public static class Reference
{
    /// <summary>C[m, n] = Σ_k A[m, k]·B[k, n], accumulated in double.</summary>
    public static float[] MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int t = 0; t < k; t++) sum += (double)a[i * k + t] * b[t * n + j];
                c[i * n + j] = (float)sum;
            }
        return c;
    }

    /// <summary>Aᵀ for a row-major A[rows, cols].</summary>
    public static float[] Transpose(ReadOnlySpan<float> a, int rows, int cols)
    {
        var t = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /// <summary>y[B, out] = f(x·W + b) in double, with W at <paramref name="weights"/> ([in, out]) and b at <paramref name="bias"/> in the block.</summary>
    public static double[] Dense(double[] x, ReadOnlySpan<double> parameters, int weights, int bias, int batch, int inputs, int outputs, Func<double, double> activation)
    {
        var y = new double[batch * outputs];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outputs; o++)
            {
                double z = parameters[bias + o];
                for (int i = 0; i < inputs; i++) z += x[b * inputs + i] * parameters[weights + i * outputs + o];
                y[b * outputs + o] = activation(z);
            }
        return y;
    }

    public static double Identity(double z) => z;
    public static double Relu(double z) => z > 0 ? z : 0;

    public static double SoftmaxCrossEntropy(double[] scores, ReadOnlySpan<int> labels, int batch, int classes)
    {
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = Math.Max(max, scores[b * classes + j]);
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.Exp(scores[b * classes + j] - max);
            total += Math.Log(sum) + max - scores[b * classes + labels[b]];
        }
        return total / batch;
    }

    public static double Hinge(double[] scores, ReadOnlySpan<int> labels, int batch, int classes)
    {
        double total = 0;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < classes; j++)
                if (j != labels[b]) total += Math.Max(0, scores[b * classes + j] - scores[b * classes + labels[b]] + 1);
        return total / batch;
    }

    /// <summary>½λ Σ w² over one weight matrix.</summary>
    public static double L2(ReadOnlySpan<double> weights, double lambda)
    {
        double sum = 0;
        foreach (var w in weights) sum += w * w;
        return 0.5 * lambda * sum;
    }

    public static double[] Widen(ReadOnlySpan<float> values)
    {
        var d = new double[values.Length];
        for (int i = 0; i < values.Length; i++) d[i] = values[i];
        return d;
    }
}
