// Batch norm's and the learned activations' passes against the naive double references, on awkward shapes.
using Functional.Kernels;

namespace Functional.Tests.Kernels;

public sealed class BatchNormKernelTests
{
    public static TheoryData<int, int, Isa> Shapes()
    {
        var data = new TheoryData<int, int, Isa>();
        foreach (var (batch, width) in new[] { (2, 1), (7, 17), (17, 7), (64, 255), (3, 257) })
            foreach (var isa in Widths.All)
                data.Add(batch, width, isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Training_forward_matches_the_reference_and_updates_running_statistics(int batch, int width, Isa isa)
    {
        using var _ = Cpu.Pin(isa);
        var z = Fill.Uniform(batch * width, seed: width, scale: 5f);
        for (int i = 0; i < z.Length; i++) z[i] += i % width; // per-feature offsets, so centring matters
        var gammaBeta = Fill.Uniform(2 * width, seed: batch);
        var (gamma, beta) = (gammaBeta.AsSpan(0, width).ToArray(), gammaBeta.AsSpan(width).ToArray());
        var runningMean = new float[width];
        var runningVariance = Enumerable.Repeat(1f, width).ToArray();
        var (xHat, invStd, y) = (new float[batch * width], new float[width], new float[batch * width]);

        BatchNorm.ForwardTraining<Identity>(z, xHat, invStd, y, gamma, beta, runningMean, runningVariance, new float[2 * width], batch, width, 0.1f, 1e-5f);

        var expected = Reference.BatchNorm(Reference.Widen(z), Reference.Widen(gammaBeta), 0, width, batch, width, 1e-5);
        double worst = Compare.MaxDifference(y, expected, out int at);
        // Float sums of B values of size |z| lose about ε·|z|·√B to rounding; normalising divides that by σ.
        double minStd = Enumerable.Range(0, width).Min(j => Math.Sqrt(Enumerable.Range(0, batch).Select(b => (double)z[b * width + j]).Variance()));
        double tolerance = 4 * 1.2e-7 * z.Max(Math.Abs) / Math.Max(minStd, 1e-3) * Math.Sqrt(batch) * gamma.Max(Math.Abs) + 1e-6;
        Assert.True(worst < tolerance, $"{batch}×{width} at {isa}: max |y − reference| = {worst:E2} at {at} (tolerance {tolerance:E2})");
        for (int j = 0; j < width; j++)
        {
            double mean = 0, variance = 0;
            for (int b = 0; b < batch; b++) mean += z[b * width + j];
            mean /= batch;
            for (int b = 0; b < batch; b++) variance += (z[b * width + j] - mean) * (z[b * width + j] - mean);
            Assert.Equal(0.1 * mean, runningMean[j], 1e-4);
            Assert.Equal(0.9 + 0.1 * variance / (batch - 1), runningVariance[j], 1e-3 * Math.Max(1, variance / (batch - 1)));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_matches_centered_differences_of_the_reference(int batch, int width, Isa isa)
    {
        using var _ = Cpu.Pin(isa);
        var z = Fill.Uniform(batch * width, seed: width + 3, scale: 2f);
        var gammaBeta = Fill.Uniform(2 * width, seed: batch + 3);
        var upstream = Fill.Uniform(batch * width, seed: 9);
        var (xHat, invStd, y) = (new float[batch * width], new float[width], new float[batch * width]);
        BatchNorm.ForwardTraining<Identity>(z, xHat, invStd, y, gammaBeta.AsSpan(0, width), gammaBeta.AsSpan(width), new float[width], new float[width], new float[2 * width], batch, width, 0.1f, 1e-5f);
        var dz = (float[])upstream.Clone();
        var (dGamma, dBeta) = (new float[width], new float[width]);
        BatchNorm.Backward(dz, xHat, invStd, gammaBeta.AsSpan(0, width), dGamma, dBeta, batch, width);

        // L = Σ upstream ⊙ BN(z): its gradient is what Backward computes from upstream.
        double Loss(double[] zz, double[] gb) =>
            Reference.BatchNorm(zz, gb, 0, width, batch, width, 1e-5).Select((v, i) => v * upstream[i]).Sum();
        var (zd, gbd) = (Reference.Widen(z), Reference.Widen(gammaBeta));
        double worst = 0;
        const double h = 1e-4;
        for (int i = 0; i < zd.Length; i += Math.Max(1, zd.Length / 97))
        {
            double saved = zd[i];
            zd[i] = saved + h; double plus = Loss(zd, gbd);
            zd[i] = saved - h; double minus = Loss(zd, gbd);
            zd[i] = saved;
            worst = Math.Max(worst, Math.Abs((plus - minus) / (2 * h) - dz[i]));
        }
        for (int j = 0; j < 2 * width; j++)
        {
            double saved = gbd[j];
            gbd[j] = saved + h; double plus = Loss(zd, gbd);
            gbd[j] = saved - h; double minus = Loss(zd, gbd);
            gbd[j] = saved;
            float analytic = j < width ? dGamma[j] : dBeta[j - width];
            worst = Math.Max(worst, Math.Abs((plus - minus) / (2 * h) - analytic));
        }
        Assert.True(worst < 2e-3, $"{batch}×{width} at {isa}: max |analytic − numeric| = {worst:E2}");
    }

    [Fact]
    public void PRelu_and_Maxout_match_their_references()
    {
        const int batch = 7, units = 17, pieces = 3;
        var u = Fill.Uniform(batch * units * pieces, seed: 5, scale: 3f);
        var slopes = Fill.Uniform(units, seed: 6);
        var y = new float[batch * units];
        PRelu.Forward(u.AsSpan(0, batch * units), slopes, y, batch, units);
        var expected = Reference.PRelu(Reference.Widen(u.AsSpan(0, batch * units)), Reference.Widen(slopes), 0, units, batch, units);
        Assert.True(Compare.MaxDifference(y, expected, out _) < 1e-6);

        Maxout.Forward(u, y, batch, units, pieces);
        Assert.True(Compare.MaxDifference(y, Reference.Maxout(Reference.Widen(u), batch, units, pieces), out _) == 0);
        var dy = Fill.Uniform(batch * units, seed: 7);
        var du = new float[u.Length];
        Maxout.Backward(dy, u, du, batch, units, pieces);
        for (int i = 0; i < batch * units; i++)
        {
            var group = u.AsSpan(i * pieces, pieces).ToArray();
            int winner = Array.IndexOf(group, group.Max());
            for (int p = 0; p < pieces; p++) Assert.Equal(p == winner ? dy[i] : 0f, du[i * pieces + p]);
        }
    }

    [Fact]
    public void Dropout_keeps_about_1_minus_p_and_scales_the_survivors()
    {
        var mask = new float[100_000];
        Dropout.FillMask(mask, 0.3f, seed: 42);
        double kept = mask.Count(m => m != 0) / (double)mask.Length;
        Assert.InRange(kept, 0.69, 0.71);
        Assert.All(mask, m => Assert.True(m == 0f || m == 1f / 0.7f, $"mask value {m}"));
        var again = new float[mask.Length];
        Dropout.FillMask(again, 0.3f, seed: 42);
        Assert.Equal(mask, again);
        Dropout.FillMask(again, 0.3f, seed: 43);
        Assert.NotEqual(mask, again);
    }
}

internal static class Statistics
{
    public static double Variance(this IEnumerable<double> values)
    {
        var list = values.ToList();
        double mean = list.Average();
        return list.Sum(v => (v - mean) * (v - mean)) / list.Count;
    }
}
