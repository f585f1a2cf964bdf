// The lecture's initialisation experiment as a test: the runnable example's own measurements, asserted.
using Functional.Training;
using InitExperiment;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

public sealed class InitExperimentTests(ITestOutputHelper output)
{
    /// <summary>The example's five cases, measured once for all the tests below.</summary>
    private static readonly IReadOnlyList<Case> Cases = Experiment.Run();

    private IReadOnlyList<LayerStatistics> Hidden(string name)
    {
        var stats = Cases.Single(c => c.Name == name).Layers;
        output.WriteLine($"{name}: std per layer " + string.Join(" ", stats.Select(s => s.Std.ToString("G3"))) +
                         $"; saturated {stats[^1].Saturated:P0} at L10");
        return stats;
    }

    [Fact]
    public void Small_random_weights_make_tanh_activations_collapse_towards_zero()
    {
        var s = Hidden("tanh, N(0, 0.01²)");
        // Each layer multiplies the std by about 0.01·√500 ≈ 0.22: after ten layers nothing is left.
        Assert.All(s.Zip(s.Skip(1)), pair => Assert.True(pair.Item2.Std < 0.5 * pair.Item1.Std, $"{pair.Item2.Layer}: std {pair.Item2.Std} vs {pair.Item1.Std}"));
        Assert.True(s[^1].Std < 1e-5, $"last layer std {s[^1].Std}");
        Assert.All(s, l => Assert.True(Math.Abs(l.Mean) < 0.05, $"{l.Layer} mean {l.Mean}"));
    }

    [Fact]
    public void Unit_std_weights_saturate_tanh_at_plus_and_minus_one()
    {
        var s = Hidden("tanh, N(0, 1)");
        Assert.All(s, l => Assert.True(l.Saturated > 0.8, $"{l.Layer}: only {l.Saturated:P0} of outputs beyond ±0.99"));
        Assert.All(s, l => Assert.True(l.Std > 0.9, $"{l.Layer}: std {l.Std}"));
    }

    [Fact]
    public void Xavier_keeps_tanh_activations_spread_through_all_ten_layers()
    {
        var s = Hidden("tanh, Xavier");
        Assert.All(s, l => Assert.InRange(l.Std, 0.15, 0.75));
        Assert.All(s, l => Assert.True(l.Saturated < 0.05, $"{l.Layer}: {l.Saturated:P0} saturated"));
        // The decline from layer to layer is gentle, not geometric collapse.
        Assert.True(s[^1].Std > 0.4 * s[1].Std, $"L10 std {s[^1].Std} vs L2 {s[1].Std}");
    }

    [Fact]
    public void With_relu_Xavier_halves_the_variance_per_layer_and_He_keeps_it()
    {
        var xavier = Hidden("ReLU, Xavier");
        var he = Hidden("ReLU, He");
        // Second moment E[y²] is what ReLU halves (its mean is not zero); its ratio per layer is ~0.5 for Xavier, ~1 for He.
        double Moment(LayerStatistics l) => l.Std * l.Std + l.Mean * l.Mean;
        var xavierRatios = xavier.Zip(xavier.Skip(1), (a, b) => Moment(b) / Moment(a)).ToList();
        var heRatios = he.Zip(he.Skip(1), (a, b) => Moment(b) / Moment(a)).ToList();
        output.WriteLine($"E[y²] ratio per layer: Xavier {string.Join(" ", xavierRatios.Select(r => r.ToString("F2")))}; He {string.Join(" ", heRatios.Select(r => r.ToString("F2")))}");
        Assert.All(xavierRatios, r => Assert.InRange(r, 0.4, 0.6));
        Assert.All(heRatios, r => Assert.InRange(r, 0.8, 1.2));
        Assert.True(Moment(xavier[^1]) < 0.01 * Moment(xavier[0]), "Xavier's last layer should have lost two orders of magnitude of E[y²]");
        Assert.InRange(Moment(he[^1]) / Moment(he[0]), 0.5, 2.0);
    }
}
