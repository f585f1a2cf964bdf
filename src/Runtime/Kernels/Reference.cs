// Naive reference implementations: plain loops in double precision, the yardstick for every fast kernel and gradient check.
namespace Functional.Kernels;

/// <summary>
/// Straightforward, obviously-correct versions of what the fast kernels do. Generated networks build their
/// <c>ReferenceLoss</c> from these; tests compare the SIMD kernels against them.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static partial class Reference
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

    /// <summary>
    /// y[B, out] = f(x·W + b) in double, with W at <paramref name="weights"/> ([in, out]) and b at
    /// <paramref name="bias"/> in the block (a negative bias offset means the layer has none).
    /// </summary>
    public static double[] Dense(double[] x, ReadOnlySpan<double> parameters, int weights, int bias, int batch, int inputs, int outputs, Func<double, double> activation)
    {
        var y = new double[batch * outputs];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outputs; o++)
            {
                double z = bias >= 0 ? parameters[bias + o] : 0;
                for (int i = 0; i < inputs; i++) z += x[b * inputs + i] * parameters[weights + i * outputs + o];
                y[b * outputs + o] = activation(z);
            }
        return y;
    }

    /// <summary>y = z.</summary>
    public static double Identity(double z) => z;
    /// <summary>y = max(0, z).</summary>
    public static double Relu(double z) => z > 0 ? z : 0;
    /// <summary>y = 1/(1 + e^−z).</summary>
    public static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
    /// <summary>y = tanh z.</summary>
    public static double Tanh(double z) => Math.Tanh(z);
    /// <summary>y = z for z &gt; 0, else slope·z.</summary>
    public static double LeakyRelu(double z, double slope) => z > 0 ? z : slope * z;
    /// <summary>y = z for z &gt; 0, else α(eᶻ − 1).</summary>
    public static double Elu(double z, double alpha) => z > 0 ? z : alpha * (Math.Exp(z) - 1);

    /// <summary>y = z·Φ(z) = ½z·erfc(−z/√2) (GELU's exact form; the erfc is MathNet's, accurate to double precision).</summary>
    public static double Gelu(double z) => 0.5 * z * MathNet.Numerics.SpecialFunctions.Erfc(-z / Math.Sqrt(2));
    /// <summary>y = z·σ(z) = z/(1 + e^−z) (SiLU, swish).</summary>
    public static double Silu(double z) => z / (1 + Math.Exp(-z));

    /// <summary>Elementwise f over a copy.</summary>
    public static double[] Map(double[] x, Func<double, double> f) => Array.ConvertAll(x, v => f(v));

    /// <summary>Training-mode batch norm: (z − μ)/√(σ² + ε)·γ + β per feature, with the batch's biased variance.</summary>
    public static double[] BatchNorm(double[] z, ReadOnlySpan<double> parameters, int gamma, int beta, int batch, int width, double epsilon)
    {
        var u = new double[z.Length];
        for (int j = 0; j < width; j++)
        {
            double mean = 0, variance = 0;
            for (int b = 0; b < batch; b++) mean += z[b * width + j];
            mean /= batch;
            for (int b = 0; b < batch; b++) variance += (z[b * width + j] - mean) * (z[b * width + j] - mean);
            variance /= batch;
            for (int b = 0; b < batch; b++)
                u[b * width + j] = (z[b * width + j] - mean) / Math.Sqrt(variance + epsilon) * parameters[gamma + j] + parameters[beta + j];
        }
        return u;
    }

    /// <summary>
    /// Training-mode batch norm per channel of z [batch, channels, pixels] (BatchNorm2d): (z − μ_c)/√(σ²_c + ε)·γ_c + β_c,
    /// μ_c and the biased σ²_c over the batch·pixels values of channel c, summed in double.
    /// </summary>
    public static double[] BatchNormChannels(double[] z, ReadOnlySpan<double> parameters, int gamma, int beta, int batch, int channels, int pixels, double epsilon)
    {
        var u = new double[z.Length];
        for (int c = 0; c < channels; c++)
        {
            var (mean, variance) = ChannelStatistics(z, c, batch, channels, pixels);
            for (int b = 0; b < batch; b++)
                for (int p = 0; p < pixels; p++)
                {
                    int i = (b * channels + c) * pixels + p;
                    u[i] = (z[i] - mean) / Math.Sqrt(variance + epsilon) * parameters[gamma + c] + parameters[beta + c];
                }
        }
        return u;
    }

    /// <summary>Channel <paramref name="channel"/>'s mean and biased variance over batch × pixels of z [batch, channels, pixels], two passes in double.</summary>
    public static (double Mean, double Variance) ChannelStatistics(double[] z, int channel, int batch, int channels, int pixels)
    {
        double mean = 0, variance = 0;
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < pixels; p++) mean += z[(b * channels + channel) * pixels + p];
        mean /= (double)batch * pixels;
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < pixels; p++)
            {
                double d = z[(b * channels + channel) * pixels + p] - mean;
                variance += d * d;
            }
        return (mean, variance / ((double)batch * pixels));
    }

    /// <summary>PReLU with <paramref name="slopes"/> learned slopes (1 = shared by every unit).</summary>
    public static double[] PRelu(double[] u, ReadOnlySpan<double> parameters, int slope, int slopes, int batch, int units)
    {
        var y = new double[u.Length];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < units; j++)
            {
                double v = u[b * units + j];
                y[b * units + j] = v > 0 ? v : parameters[slope + (slopes == 1 ? 0 : j)] * v;
            }
        return y;
    }

    /// <summary>Maxout: the maximum of each unit's k consecutive pieces.</summary>
    public static double[] Maxout(double[] u, int batch, int units, int pieces)
    {
        var y = new double[batch * units];
        for (int i = 0; i < y.Length; i++)
        {
            double best = u[i * pieces];
            for (int p = 1; p < pieces; p++) best = Math.Max(best, u[i * pieces + p]);
            y[i] = best;
        }
        return y;
    }

    /// <summary>Inverted dropout with the same mask the fast path draws from <paramref name="seed"/>.</summary>
    public static double[] Dropout(double[] a, float probability, long seed)
    {
        var mask = new float[a.Length];
        Kernels.Dropout.FillMask(mask, probability, seed);
        var y = new double[a.Length];
        for (int i = 0; i < a.Length; i++) y[i] = a[i] * mask[i];
        return y;
    }

    /// <summary>Mean softmax cross-entropy of scores [batch, classes], in double precision.</summary>
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

    /// <summary>Mean multiclass SVM hinge loss (margin 1) of scores [batch, classes], in double precision.</summary>
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

    /// <summary>The floats as a new array of doubles.</summary>
    public static double[] Widen(ReadOnlySpan<float> values)
    {
        var d = new double[values.Length];
        for (int i = 0; i < values.Length; i++) d[i] = values[i];
        return d;
    }
}
