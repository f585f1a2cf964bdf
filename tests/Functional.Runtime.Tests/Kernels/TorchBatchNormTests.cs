// Per-channel batch norm against torch.nn.BatchNorm2d 1.13 (TorchReference/BatchNorm2d/*.json, made by bench/conv_reference.py): train and eval forwards, running statistics, backward.
using System.Text.Json;
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

/// <summary>
/// Conventions rather than arithmetic (the reference tests do that): statistics per channel over batch × H × W, the
/// biased variance in the forward and the unbiased one in the running average, momentum weighting the new batch,
/// ε inside the square root, the eval forward using the running statistics. Torch rounds in its own order, so each
/// value is allowed both sides' rounding: 2·(n + 2)·u of the sum of the absolute values of the terms it is made of.
/// </summary>
public sealed class TorchBatchNormTests(ITestOutputHelper output)
{
    private const double U = 1.0 / (1 << 24);
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Kernels", "TorchReference", "BatchNorm2d");

    public static TheoryData<string, Isa> Fixtures() => TorchFixture.Cases(Folder);

    private static float[] Floats(JsonElement root, string name) => TorchFixture.Floats(root, name);
    private static int Int(JsonElement root, string name) => TorchFixture.Int(root, name);

    private void Close(string what, string name, Isa isa, float[] ours, float[] torch, Func<int, double> bound)
        => TorchFixture.Close(output, what, name, isa, ours, torch, bound);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Matches_torch_nn_BatchNorm2d(string name, Isa isa)
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
        var root = fixture.RootElement;
        Assert.Equal("batch_norm2d", root.GetProperty("op").GetString());
        int batch = Int(root, "batch"), channels = Int(root, "channels"), pixels = Int(root, "height") * Int(root, "width");
        float momentum = root.GetProperty("momentum").GetSingle(), epsilon = root.GetProperty("epsilon").GetSingle();
        var (x, gamma, beta, upstream) = (Floats(root, "x"), Floats(root, "weight"), Floats(root, "bias"), Floats(root, "upstream"));
        var (runningMean, runningVariance) = (Floats(root, "running_mean_before"), Floats(root, "running_var_before"));
        int size = batch * channels * pixels, n = batch * pixels;
        using var _ = Cpu.Pin(isa);

        var (xHat, invStd, y, scratch) = (new float[size], new float[channels], new float[size], new float[2 * channels]);
        BatchNorm.ChannelsForwardTraining<Identity>(x, xHat, invStd, y, gamma, beta, runningMean, runningVariance, scratch, batch, channels, pixels, momentum, epsilon);
        var du = (float[])upstream.Clone();
        var (dGamma, dBeta) = (new float[channels], new float[channels]);
        BatchNorm.ChannelsBackward(du, xHat, invStd, gamma, dGamma, dBeta, batch, channels, pixels);
        var yEval = new float[size];
        BatchNorm.ChannelsForwardInference<Identity>(x, yEval, gamma, beta, runningMean, runningVariance, new float[2 * channels], batch, channels, pixels, epsilon);

        // Sizes of the terms, from the double reference: |x| + |μ| over σ for x̂, then each output's own sums.
        var xd = Reference.Widen(x);
        var stats = Enumerable.Range(0, channels).Select(c => Reference.ChannelStatistics(xd, c, batch, channels, pixels)).ToArray();
        int C(int i) => i / pixels % channels;
        double Sigma(int c) => Math.Sqrt(stats[c].Variance + epsilon);
        double NormalSize(int i) => (Math.Abs(x[i]) + Math.Abs(stats[C(i)].Mean)) / Sigma(C(i));
        var (absDu, absDuX, absX) = (new double[channels], new double[channels], new double[channels]);
        for (int i = 0; i < size; i++)
        {
            absX[C(i)] += Math.Abs(x[i]) / n;
            absDu[C(i)] += Math.Abs(upstream[i]);
            absDuX[C(i)] += Math.Abs(upstream[i]) * NormalSize(i);
        }
        double Rounding(int terms) => 2 * (terms + 2) * U;

        Close("y", name, isa, y, Floats(root, "y"), i => Rounding(n) * (Math.Abs(gamma[C(i)]) * NormalSize(i) + Math.Abs(beta[C(i)])));
        Close("running_mean", name, isa, runningMean, Floats(root, "running_mean"), c => Rounding(n) * (Math.Abs(Floats(root, "running_mean_before")[c]) + absX[c]));
        Close("running_var", name, isa, runningVariance, Floats(root, "running_var"), c => Rounding(n) * (Floats(root, "running_var_before")[c] + stats[c].Variance * n / (n - 1)));
        Close("dbias", name, isa, dBeta, Floats(root, "dbias"), c => Rounding(n) * absDu[c]);
        Close("dweight", name, isa, dGamma, Floats(root, "dweight"), c => Rounding(n) * absDuX[c]);
        Close("dx", name, isa, du, Floats(root, "dx"), i => Rounding(n) * Math.Abs(gamma[C(i)]) / Sigma(C(i)) / n
            * (n * Math.Abs(upstream[i]) + absDu[C(i)] + NormalSize(i) * absDuX[C(i)]));
        Close("y_eval", name, isa, yEval, Floats(root, "y_eval"), i => Rounding(4) * Math.Abs(gamma[C(i)])
            * (Math.Abs(x[i]) + Math.Abs(runningMean[C(i)])) / Math.Sqrt(runningVariance[C(i)] + epsilon) + Rounding(4) * Math.Abs(beta[C(i)]));
    }

    [Fact]
    public void The_fixtures_are_there()
    {
        var files = Directory.EnumerateFiles(Folder, "*.json").ToList();
        Assert.True(files.Count >= 4, $"{files.Count} batch-norm fixtures in {Folder}");
        Assert.All(files, f => Assert.Equal("batch_norm2d", JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("op").GetString()));
    }
}
