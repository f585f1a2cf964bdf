// Per-channel batch norm (BatchNorm2d over [batch, channels, pixels]) against the naive double reference, at every SIMD width, on awkward shapes.
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

public sealed class ChannelBatchNormTests(ITestOutputHelper output)
{
    private const double U = 1.0 / (1 << 24);

    /// <summary>One channel, batch 1, one pixel, pixel counts that leave every width a tail, and a 28 × 28 plane.</summary>
    private static readonly (int Batch, int Channels, int Pixels)[] Sizes =
        [(1, 1, 1), (2, 1, 1), (1, 3, 7), (3, 1, 33), (2, 4, 17), (5, 3, 49), (7, 2, 3), (1, 2, 1000), (3, 2, 784)];

    public static TheoryData<int, int, int, Isa> Shapes()
    {
        var data = new TheoryData<int, int, int, Isa>();
        foreach (var (batch, channels, pixels) in Sizes)
            foreach (var isa in Widths.All)
                data.Add(batch, channels, pixels, isa);
        return data;
    }

    /// <summary>z with a different offset per channel (so centring matters) and a different spread per channel.</summary>
    private static float[] Planes(int batch, int channels, int pixels, long seed)
    {
        var z = Fill.Uniform(batch * channels * pixels, seed, scale: 2f);
        for (int i = 0; i < z.Length; i++)
        {
            int c = i / pixels % channels;
            z[i] = z[i] * (1 + c) + 3 * c - 1;
        }
        return z;
    }

    private static (float[] Gamma, float[] Beta) Affine(int channels, long seed)
    {
        var g = Fill.Uniform(2 * channels, seed);
        return (g.AsSpan(0, channels).ToArray().Select(v => v + 1.5f).ToArray(), g.AsSpan(channels).ToArray());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Training_forward_matches_the_reference_and_updates_running_statistics(int batch, int channels, int pixels, Isa isa)
    {
        using var _ = Cpu.Pin(isa);
        var z = Planes(batch, channels, pixels, seed: pixels + 7 * channels);
        var (gamma, beta) = Affine(channels, seed: batch);
        var runningMean = Fill.Uniform(channels, seed: 3);
        var runningVariance = Enumerable.Repeat(2f, channels).ToArray();
        var (startMean, startVariance) = ((float[])runningMean.Clone(), (float[])runningVariance.Clone());
        int size = batch * channels * pixels;
        var (xHat, invStd, y, scratch) = (new float[size], new float[channels], new float[size], new float[2 * channels]);
        const float momentum = 0.1f, epsilon = 1e-5f;

        BatchNorm.ChannelsForwardTraining<Identity>(z, xHat, invStd, y, gamma, beta, runningMean, runningVariance, scratch, batch, channels, pixels, momentum, epsilon);

        var zd = Reference.Widen(z);
        var expected = Reference.BatchNormChannels(zd, [.. Reference.Widen(gamma), .. Reference.Widen(beta)], 0, channels, batch, channels, pixels, epsilon);
        double n = (double)batch * pixels, worstY = 0, worstBound = 0;
        for (int c = 0; c < channels; c++)
        {
            var (mean, variance) = Reference.ChannelStatistics(zd, c, batch, channels, pixels);
            double sigma = Math.Sqrt(variance + epsilon);
            // Float sums of at most 256 values (≤ 64 per lane), merged in double: a few u of the values' size.
            double meanAbs = 0;
            for (int b = 0; b < batch; b++)
                for (int p = 0; p < pixels; p++) meanAbs += Math.Abs(zd[(b * channels + c) * pixels + p]) / n;
            Assert.Equal(mean, scratch[c], 8 * U * meanAbs);
            Assert.Equal(variance, scratch[channels + c], 16 * U * variance + 1e-30);
            Assert.Equal(1 / sigma, invStd[c], 4 * U / sigma);
            Assert.Equal((1 - momentum) * startMean[c] + momentum * mean, runningMean[c], 4 * U * (Math.Abs(startMean[c]) + Math.Abs(mean)) + 1e-30);
            double unbiased = n > 1 ? variance * n / (n - 1) : variance;
            Assert.Equal((1 - momentum) * startVariance[c] + momentum * unbiased, runningVariance[c], 8 * U * (startVariance[c] + unbiased));
            // x̂ is (z − μ)/σ with z − μ exact to u·|z − μ| and μ to a few u·|μ|: relative to σ, a few u·(|z| + |μ|)/σ.
            double zMax = 0;
            for (int b = 0; b < batch; b++)
                for (int p = 0; p < pixels; p++) zMax = Math.Max(zMax, Math.Abs(z[(b * channels + c) * pixels + p]));
            double xBound = 8 * U * (zMax + Math.Abs(mean)) / sigma + 4 * U;
            double yBound = Math.Abs(gamma[c]) * xBound * (1 + 4 * U) + 4 * U * (Math.Abs(gamma[c]) * zMax / sigma + Math.Abs(beta[c]));
            for (int b = 0; b < batch; b++)
                for (int p = 0; p < pixels; p++)
                {
                    int i = (b * channels + c) * pixels + p;
                    Assert.True(Math.Abs(xHat[i] - (zd[i] - mean) / sigma) <= xBound, $"{batch}×{channels}×{pixels} at {isa}: x̂[{i}] = {xHat[i]:R}, reference {(zd[i] - mean) / sigma:R}");
                    double d = Math.Abs(y[i] - expected[i]);
                    Assert.True(d <= yBound, $"{batch}×{channels}×{pixels} at {isa}: y[{i}] = {y[i]:R}, reference {expected[i]:R} (bound {yBound:E2})");
                    worstY = Math.Max(worstY, d);
                    worstBound = Math.Max(worstBound, yBound);
                }
        }
        output.WriteLine($"{batch}×{channels}×{pixels} at {isa}: max |y − reference| {worstY:E2} (largest bound {worstBound:E2})");
    }

    [Theory]
    [InlineData(Isa.Scalar)]
    [InlineData(Isa.Vector128)]
    [InlineData(Isa.Vector256)]
    [InlineData(Isa.Vector512)]
    public void The_activation_is_applied_after_the_affine_in_both_forwards(Isa isa)
    {
        using var _ = Cpu.Pin(isa);
        const int batch = 3, channels = 4, pixels = 21;
        const float slope = 0.2f, epsilon = 1e-5f;
        var z = Planes(batch, channels, pixels, seed: 31);
        var (gamma, beta) = Affine(channels, seed: 32);
        int size = batch * channels * pixels;
        var (plain, relu, leaky, xHat, invStd) = (new float[size], new float[size], new float[size], new float[size], new float[channels]);
        BatchNorm.ChannelsForwardTraining<Identity>(z, xHat, invStd, plain, gamma, beta, new float[channels], new float[channels], new float[2 * channels], batch, channels, pixels, 0.1f, epsilon);
        BatchNorm.ChannelsForwardTraining<Relu>(z, xHat, invStd, relu, gamma, beta, new float[channels], new float[channels], new float[2 * channels], batch, channels, pixels, 0.1f, epsilon);
        BatchNorm.ChannelsForwardTraining(z, xHat, invStd, leaky, gamma, beta, new float[channels], new float[channels], new float[2 * channels], batch, channels, pixels, 0.1f, epsilon, new LeakyRelu(slope));
        for (int i = 0; i < size; i++)
        {
            Assert.Equal(Math.Max(0f, plain[i]), relu[i]);
            Assert.Equal(plain[i] > 0 ? plain[i] : slope * plain[i], leaky[i], 2e-7f * Math.Abs(plain[i]));
        }
        Assert.Contains(plain, v => v < 0); // else the ReLU comparison would prove nothing

        var runningMean = Fill.Uniform(channels, seed: 33);
        var runningVariance = Fill.Uniform(channels, seed: 34).Select(v => v + 1.5f).ToArray();
        var (inferred, inferredLeaky) = (new float[size], new float[size]);
        BatchNorm.ChannelsForwardInference<Identity>(z, inferred, gamma, beta, runningMean, runningVariance, new float[2 * channels], batch, channels, pixels, epsilon);
        BatchNorm.ChannelsForwardInference(z, inferredLeaky, gamma, beta, runningMean, runningVariance, new float[2 * channels], batch, channels, pixels, epsilon, new LeakyRelu(slope));
        for (int i = 0; i < size; i++)
        {
            int c = i / pixels % channels;
            double expected = (z[i] - (double)runningMean[c]) / Math.Sqrt(runningVariance[c] + (double)epsilon) * gamma[c] + beta[c];
            double bound = 8 * U * (Math.Abs(z[i]) + Math.Abs(runningMean[c])) * Math.Abs(gamma[c]) / Math.Sqrt(runningVariance[c]) + 4 * U * Math.Abs(beta[c]);
            Assert.True(Math.Abs(inferred[i] - expected) <= bound, $"inference at {isa}: y[{i}] = {inferred[i]:R}, reference {expected:R}");
            Assert.Equal(inferred[i] > 0 ? inferred[i] : slope * inferred[i], inferredLeaky[i], 2e-7f * Math.Abs(inferred[i]));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_matches_centered_differences_of_the_double_reference(int batch, int channels, int pixels, Isa isa)
    {
        using var _ = Cpu.Pin(isa);
        var z = Planes(batch, channels, pixels, seed: pixels + 3);
        var (gamma, beta) = Affine(channels, seed: batch + 3);
        int size = batch * channels * pixels;
        var upstream = Fill.Uniform(size, seed: 9);
        var (xHat, invStd, y) = (new float[size], new float[channels], new float[size]);
        BatchNorm.ChannelsForwardTraining<Identity>(z, xHat, invStd, y, gamma, beta, new float[channels], new float[channels], new float[2 * channels], batch, channels, pixels, 0.1f, 1e-5f);
        var dz = (float[])upstream.Clone();
        var (dGamma, dBeta) = (new float[channels], new float[channels]);
        BatchNorm.ChannelsBackward(dz, xHat, invStd, gamma, dGamma, dBeta, batch, channels, pixels);

        // L = Σ upstream ⊙ BN(z), all in double: its gradient is what ChannelsBackward computes from upstream.
        var zd = Reference.Widen(z);
        var gb = (double[])[.. Reference.Widen(gamma), .. Reference.Widen(beta)];
        double Loss() => Reference.BatchNormChannels(zd, gb, 0, channels, batch, channels, pixels, 1e-5).Select((v, i) => v * upstream[i]).Sum();
        double Numeric(double[] values, int i)
        {
            const double h = 1e-4;
            double saved = values[i];
            values[i] = saved + h; double plus = Loss();
            values[i] = saved - h; double minus = Loss();
            values[i] = saved;
            return (plus - minus) / (2 * h);
        }
        // The float backward rounds n·du − dβ − x̂·dγ (terms of size n·|du|) and sums of n terms; the difference
        // quotient's own error is h²·L‴ ≈ 1e-8 relative. Relative to the largest gradient, 2e-5 separates the two (measured: at most 3e-7).
        double worst = 0, scale = 1e-3;
        var checks = new List<(double Numeric, float Analytic, string What)>();
        for (int i = 0; i < size; i += Math.Max(1, size / 61)) checks.Add((Numeric(zd, i), dz[i], $"dz[{i}]"));
        for (int c = 0; c < channels; c++)
        {
            checks.Add((Numeric(gb, c), dGamma[c], $"dγ[{c}]"));
            checks.Add((Numeric(gb, channels + c), dBeta[c], $"dβ[{c}]"));
        }
        foreach (var check in checks) scale = Math.Max(scale, Math.Abs(check.Numeric));
        foreach (var (numeric, analytic, what) in checks)
        {
            double d = Math.Abs(numeric - analytic);
            worst = Math.Max(worst, d);
            Assert.True(d <= 2e-5 * scale, $"{batch}×{channels}×{pixels} at {isa}: {what} analytic {analytic:R}, numeric {numeric:R}");
        }
        output.WriteLine($"{batch}×{channels}×{pixels} at {isa}: max |analytic − numeric| {worst:E2} (largest gradient {scale:E2})");
    }

    [Theory]
    [InlineData(Isa.Scalar)]
    [InlineData(Isa.Vector256)]
    [InlineData(Isa.Vector512)]
    public void A_64x28x28_channel_has_its_mean_and_variance_to_a_few_ulps(Isa isa)
    {
        // 50,176 values per channel, offset far from 0 so a plain float sum would drift by ~√n·u relative to the mean.
        using var _ = Cpu.Pin(isa);
        const int batch = 64, channels = 3, pixels = 784;
        var z = Fill.Uniform(batch * channels * pixels, seed: 77);
        for (int i = 0; i < z.Length; i++) z[i] = 10f + 0.5f * z[i] + (i / pixels % channels);
        int size = z.Length;
        var (xHat, invStd, y, scratch) = (new float[size], new float[channels], new float[size], new float[2 * channels]);
        BatchNorm.ChannelsForwardTraining<Identity>(z, xHat, invStd, y, [1f, 1f, 1f], [0f, 0f, 0f], new float[channels], new float[channels], scratch, batch, channels, pixels, 0.1f, 1e-5f);
        var zd = Reference.Widen(z);
        for (int c = 0; c < channels; c++)
        {
            var (mean, variance) = Reference.ChannelStatistics(zd, c, batch, channels, pixels);
            double meanError = Math.Abs(scratch[c] - mean) / (mean * U), varianceError = Math.Abs(scratch[channels + c] - variance) / (variance * U);
            output.WriteLine($"channel {c} at {isa}: mean off by {meanError:F2} u, variance by {varianceError:F2} u");
            // Rounding the double result to float alone costs up to ½ u; the plane sums add little on top.
            Assert.True(meanError <= 2, $"channel {c} at {isa}: mean {scratch[c]:R} vs {mean:R} ({meanError:F2} u)");
            Assert.True(varianceError <= 4, $"channel {c} at {isa}: variance {scratch[channels + c]:R} vs {variance:R} ({varianceError:F2} u)");
        }
    }

    [Fact]
    public void Steady_state_calls_allocate_nothing()
    {
        const int batch = 4, channels = 3, pixels = 50;
        int size = batch * channels * pixels;
        var z = Planes(batch, channels, pixels, seed: 5);
        var (gamma, beta) = Affine(channels, seed: 6);
        var (xHat, invStd, y, du) = (new float[size], new float[channels], new float[size], new float[size]);
        var (runningMean, runningVariance, scratch, dGamma, dBeta) = (new float[channels], new float[channels], new float[2 * channels], new float[channels], new float[channels]);
        void Step()
        {
            BatchNorm.ChannelsForwardTraining<Relu>(z, xHat, invStd, y, gamma, beta, runningMean, runningVariance, scratch, batch, channels, pixels, 0.1f, 1e-5f);
            BatchNorm.ChannelsForwardTraining(z, xHat, invStd, y, gamma, beta, runningMean, runningVariance, scratch, batch, channels, pixels, 0.1f, 1e-5f, new LeakyRelu(0.1f));
            BatchNorm.ChannelsForwardInference<Relu>(z, y, gamma, beta, runningMean, runningVariance, scratch, batch, channels, pixels, 1e-5f);
            y.CopyTo(du);
            BatchNorm.ChannelsBackward(du, xHat, invStd, gamma, dGamma, dBeta, batch, channels, pixels);
        }
        Step();
        Assert.Equal(0, Functional.Tests.AllocationWindows.Measure(() => { for (int i = 0; i < 20; i++) Step(); }));
    }

    [Fact]
    public void Bad_sizes_are_refused_with_the_buffer_named()
    {
        var (z, small) = (new float[24], new float[23]);
        var (two, four) = (new float[2], new float[4]);
        var error = Assert.Throws<ArgumentException>(() => BatchNorm.ChannelsForwardTraining<Identity>(z, small, two, z, two, two, two, two, four, 2, 2, 6, 0.1f, 1e-5f));
        Assert.Contains("xHat holds 23 floats", error.Message);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.ChannelsForwardTraining<Identity>(z, z, two, z, two, two, two, two, two, 2, 2, 6, 0.1f, 1e-5f));
        Assert.Contains("scratch", error.Message);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.ChannelsForwardInference<Identity>(z, z, two, new float[1], two, two, four, 2, 2, 6, 1e-5f));
        Assert.Contains("beta holds 1 floats for 2 channels", error.Message);
        error = Assert.Throws<ArgumentException>(() => BatchNorm.ChannelsBackward(small, z, two, two, two, two, 2, 2, 6));
        Assert.Contains("du holds 23 floats", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchNorm.ChannelsBackward(z, z, two, two, two, two, 2, 2, 0));
    }
}
