// Naive convolution and pooling in double precision: the definitions, written as loops, that the fast kernels are checked against.
namespace Functional.Kernels;

public static partial class Reference
{
    /// <summary>
    /// y[n, f, oh, ow] = f(b[f] + Σ_c Σ_kh Σ_kw W[f, c, kh, kw] · x[n, c, oh·S − P + kh, ow·S − P + kw]), the input taken
    /// as 0 outside its H × W (PyTorch's Conv2d: a cross-correlation, the kernel not flipped). W [F, C, KH, KW] is at
    /// <paramref name="weights"/> in the block and b at <paramref name="bias"/> (negative: the layer has none).
    /// </summary>
    public static double[] Conv2d(double[] x, ReadOnlySpan<double> parameters, int weights, int bias, Conv2dShape s, Func<double, double> activation)
    {
        var y = new double[s.Batch * s.OutputSize];
        for (int n = 0; n < s.Batch; n++)
            for (int f = 0; f < s.Filters; f++)
                for (int oh = 0; oh < s.OutputHeight; oh++)
                    for (int ow = 0; ow < s.OutputWidth; ow++)
                    {
                        double z = bias >= 0 ? parameters[bias + f] : 0;
                        for (int c = 0; c < s.Channels; c++)
                            for (int kh = 0; kh < s.KernelHeight; kh++)
                                for (int kw = 0; kw < s.KernelWidth; kw++)
                                {
                                    int h = oh * s.Stride - s.Padding + kh, w = ow * s.Stride - s.Padding + kw;
                                    if (h < 0 || h >= s.Height || w < 0 || w >= s.Width) continue;
                                    z += parameters[weights + ((f * s.Channels + c) * s.KernelHeight + kh) * s.KernelWidth + kw]
                                        * x[((n * s.Channels + c) * s.Height + h) * s.Width + w];
                                }
                        y[((n * s.Filters + f) * s.OutputHeight + oh) * s.OutputWidth + ow] = activation(z);
                    }
        return y;
    }

    /// <summary>
    /// The gradients of L at W and b given dz = ∂L/∂z for z = conv(x, W) + b: dW[f, c, kh, kw] = Σ_n Σ_oh Σ_ow
    /// dz[n, f, oh, ow] · x[n, c, oh·S − P + kh, ow·S − P + kw] (0 outside), db[f] = Σ_n Σ_oh Σ_ow dz[n, f, oh, ow].
    /// </summary>
    public static (double[] Weights, double[] Bias) Conv2dWeightGradient(double[] x, double[] dz, Conv2dShape s)
    {
        var dw = new double[s.WeightCount];
        var db = new double[s.Filters];
        for (int n = 0; n < s.Batch; n++)
            for (int f = 0; f < s.Filters; f++)
                for (int oh = 0; oh < s.OutputHeight; oh++)
                    for (int ow = 0; ow < s.OutputWidth; ow++)
                    {
                        double g = dz[((n * s.Filters + f) * s.OutputHeight + oh) * s.OutputWidth + ow];
                        db[f] += g;
                        for (int c = 0; c < s.Channels; c++)
                            for (int kh = 0; kh < s.KernelHeight; kh++)
                                for (int kw = 0; kw < s.KernelWidth; kw++)
                                {
                                    int h = oh * s.Stride - s.Padding + kh, w = ow * s.Stride - s.Padding + kw;
                                    if (h < 0 || h >= s.Height || w < 0 || w >= s.Width) continue;
                                    dw[((f * s.Channels + c) * s.KernelHeight + kh) * s.KernelWidth + kw] += g * x[((n * s.Channels + c) * s.Height + h) * s.Width + w];
                                }
                    }
        return (dw, db);
    }

    /// <summary>
    /// The gradient of L at x given dz = ∂L/∂z for z = conv(x, W) + b: every output pixel hands dz · W[f, c, kh, kw] back
    /// to the input pixel that weight met, and an input pixel in several windows sums their shares.
    /// </summary>
    public static double[] Conv2dInputGradient(double[] dz, ReadOnlySpan<double> weights, Conv2dShape s)
    {
        var dx = new double[s.Batch * s.InputSize];
        for (int n = 0; n < s.Batch; n++)
            for (int f = 0; f < s.Filters; f++)
                for (int oh = 0; oh < s.OutputHeight; oh++)
                    for (int ow = 0; ow < s.OutputWidth; ow++)
                    {
                        double g = dz[((n * s.Filters + f) * s.OutputHeight + oh) * s.OutputWidth + ow];
                        for (int c = 0; c < s.Channels; c++)
                            for (int kh = 0; kh < s.KernelHeight; kh++)
                                for (int kw = 0; kw < s.KernelWidth; kw++)
                                {
                                    int h = oh * s.Stride - s.Padding + kh, w = ow * s.Stride - s.Padding + kw;
                                    if (h < 0 || h >= s.Height || w < 0 || w >= s.Width) continue;
                                    dx[((n * s.Channels + c) * s.Height + h) * s.Width + w] += g * weights[((f * s.Channels + c) * s.KernelHeight + kh) * s.KernelWidth + kw];
                                }
                    }
        return dx;
    }

    /// <summary>
    /// y[n, c, oh, ow] = the largest x[n, c, oh·SH + kh, ow·SW + kw] over the window, which it scans row by row; the
    /// first largest wins a tie and a NaN wins over any number (PyTorch's max_pool2d). <paramref name="argmax"/> gets
    /// each winner's index within its H × W plane.
    /// </summary>
    public static double[] MaxPool2d(double[] x, Pool2dShape s, out int[] argmax)
    {
        var y = new double[s.Batch * s.OutputSize];
        argmax = new int[y.Length];
        for (int plane = 0; plane < s.Batch * s.Channels; plane++)
            for (int oh = 0; oh < s.OutputHeight; oh++)
                for (int ow = 0; ow < s.OutputWidth; ow++)
                {
                    double best = double.NegativeInfinity;
                    int at = oh * s.StrideHeight * s.Width + ow * s.StrideWidth;
                    for (int kh = 0; kh < s.KernelHeight; kh++)
                        for (int kw = 0; kw < s.KernelWidth; kw++)
                        {
                            int i = (oh * s.StrideHeight + kh) * s.Width + ow * s.StrideWidth + kw;
                            double v = x[plane * s.Height * s.Width + i];
                            if (v > best || double.IsNaN(v)) { best = v; at = i; }
                        }
                    int o = (plane * s.OutputHeight + oh) * s.OutputWidth + ow;
                    y[o] = best;
                    argmax[o] = at;
                }
        return y;
    }

    /// <summary>dx: each output's gradient sent to its window's winner (as <see cref="MaxPool2d"/> picks it), summed where windows overlap.</summary>
    public static double[] MaxPool2dBackward(double[] x, double[] dy, Pool2dShape s)
    {
        MaxPool2d(x, s, out var argmax);
        var dx = new double[s.Batch * s.InputSize];
        int planeSize = s.Height * s.Width, outSize = s.OutputHeight * s.OutputWidth;
        for (int o = 0; o < dy.Length; o++)
            dx[o / outSize * planeSize + argmax[o]] += dy[o];
        return dx;
    }

    /// <summary>y[n, c, oh, ow] = the mean of x over the KH × KW window (no padding, so always the whole window).</summary>
    public static double[] AvgPool2d(double[] x, Pool2dShape s)
    {
        var y = new double[s.Batch * s.OutputSize];
        for (int plane = 0; plane < s.Batch * s.Channels; plane++)
            for (int oh = 0; oh < s.OutputHeight; oh++)
                for (int ow = 0; ow < s.OutputWidth; ow++)
                {
                    double sum = 0;
                    for (int kh = 0; kh < s.KernelHeight; kh++)
                        for (int kw = 0; kw < s.KernelWidth; kw++)
                            sum += x[(plane * s.Height + oh * s.StrideHeight + kh) * s.Width + ow * s.StrideWidth + kw];
                    y[(plane * s.OutputHeight + oh) * s.OutputWidth + ow] = sum / (s.KernelHeight * s.KernelWidth);
                }
        return y;
    }

    /// <summary>dx: each output's gradient shared equally by its window's KH·KW inputs, summed where windows overlap.</summary>
    public static double[] AvgPool2dBackward(double[] dy, Pool2dShape s)
    {
        var dx = new double[s.Batch * s.InputSize];
        double area = s.KernelHeight * s.KernelWidth;
        for (int plane = 0; plane < s.Batch * s.Channels; plane++)
            for (int oh = 0; oh < s.OutputHeight; oh++)
                for (int ow = 0; ow < s.OutputWidth; ow++)
                {
                    double share = dy[(plane * s.OutputHeight + oh) * s.OutputWidth + ow] / area;
                    for (int kh = 0; kh < s.KernelHeight; kh++)
                        for (int kw = 0; kw < s.KernelWidth; kw++)
                            dx[(plane * s.Height + oh * s.StrideHeight + kh) * s.Width + ow * s.StrideWidth + kw] += share;
                }
        return dx;
    }
}
