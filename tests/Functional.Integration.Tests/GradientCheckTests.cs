// Every emitted backward checked against centered finite differences of the naive double-precision reference loss.
using Functional.Data;
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

public sealed class GradientCheckTests(ITestOutputHelper output)
{
    /// <summary>One network type under test, hidden behind a non-generic face so the cases form a table.</summary>
    public interface ICase
    {
        string Name { get; }
        GradientReport Check(float l2, int batch, int seed);
    }

    public sealed record GradientReport(double MaxRelativeError, string WorstParameter, double LossDifference, int Parameters);

    /// <summary>One network, at its declared hyperparameters or at those <paramref name="trial"/> makes of them (named <paramref name="label"/>).</summary>
    public sealed class Case<TNet>(Func<Hyperparameters, Hyperparameters>? trial = null, string? label = null) : ICase where TNet : class, INetwork<TNet>
    {
        public string Name => typeof(TNet).Name + (label is null ? "" : $" ({label})");
        public override string ToString() => Name;

        public GradientReport Check(float l2, int batch, int seed)
        {
            var model = TNet.Init(seed, hyperparameters: trial?.Invoke(TNet.Defaults));
            var data = TestData.Random(batch, TNet.InputCount, TNet.ClassCount, seed + 1);
            var parameters = model.Parameters.ToArray();
            var gradient = new float[TNet.ParameterCount];
            var options = new StepOptions(l2, DropoutSeed: seed, model.Hyperparameters);
            var buffers = model.Buffers.ToArray();
            // A workspace for more rows than the batch has, as a fold's last, partial batch sees it.
            var result = TNet.ComputeGradient(parameters, buffers, TestData.All(data), options, gradient, TNet.CreateWorkspace(batch + 3));

            var p = Reference.Widen(parameters);
            double reference = TNet.ReferenceLoss(p, data.Features, data.Labels, batch, options);
            const double h = 1e-5;
            double worst = 0;
            string worstName = "";
            for (int i = 0; i < p.Length; i++)
            {
                double saved = p[i];
                p[i] = saved + h;
                double plus = TNet.ReferenceLoss(p, data.Features, data.Labels, batch, options);
                p[i] = saved - h;
                double minus = TNet.ReferenceLoss(p, data.Features, data.Labels, batch, options);
                p[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                // Relative error with a floor: a gradient of 1e-9 that is "wrong" by 1e-9 is float noise, not a bug.
                double error = Math.Abs(numeric - gradient[i]) / Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(gradient[i])), 1e-3);
                if (error > worst) { worst = error; worstName = Describe(i, numeric, gradient[i]); }
            }
            return new GradientReport(worst, worstName, Math.Abs(reference - result.Loss), p.Length);
        }

        private static string Describe(int index, double numeric, float analytic)
        {
            var layer = TNet.Layout.Layers.Last(l => l.WeightsOffset <= index);
            var d = layer.Dense;
            int offset = index - d.WeightsOffset;
            string part = offset < d.WeightCount ? $"W[{offset / d.Width}, {offset % d.Width}]"
                : index >= d.SlopeOffset && d.SlopeOffset >= 0 ? $"slope[{index - d.SlopeOffset}]"
                : index >= d.BetaOffset && d.BetaOffset >= 0 ? $"β[{index - d.BetaOffset}]"
                : index >= d.GammaOffset && d.GammaOffset >= 0 ? $"γ[{index - d.GammaOffset}]"
                : $"b[{index - d.BiasOffset}]";
            return $"{layer.Name}.{part}: numeric {numeric:G6}, analytic {analytic:G6}";
        }
    }

    public static TheoryData<ICase, float, Isa> Cases()
    {
        var cases = new ICase[] { new Case<TinyMlp>(), new Case<AwkwardMlp>(), new Case<HingeNet>(), new Case<SoftmaxRegression>(), new Case<ReluScores>() }
            .Concat(ActivationMatrix.Cases);
        var data = new TheoryData<ICase, float, Isa>();
        foreach (var c in cases)
            foreach (var l2 in new[] { 0f, 0.1f })
                foreach (var isa in new[] { Cpu.Best, Isa.Scalar })
                    data.Add(c, l2, isa);
        // Every row again at run-time values no declaration holds, with dropout on and off (off takes the fused path).
        foreach (var c in ActivationMatrix.Trials)
            foreach (var isa in new[] { Cpu.Best, Isa.Scalar })
                data.Add(c, 0.1f, isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_centered_differences_of_the_reference(ICase network, float l2, Isa isa)
    {
        using var _ = Cpu.Pin(isa);
        // Batch 9: not a multiple of the 4-row tile, so row tails run too.
        var report = network.Check(l2, batch: 9, seed: 3);
        output.WriteLine($"{network.Name} l2={l2} {isa}: {report.Parameters} parameters, max relative error {report.MaxRelativeError:E2} at {report.WorstParameter}; |loss − reference| = {report.LossDifference:E2}");
        Assert.True(report.MaxRelativeError < 1e-4, $"max relative error {report.MaxRelativeError:E2} at {report.WorstParameter}");
        Assert.True(report.LossDifference < 1e-5, $"fast loss differs from the reference by {report.LossDifference:E2}");
    }
}
