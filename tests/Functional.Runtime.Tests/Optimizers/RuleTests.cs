// Each optimizer against PyTorch's step written out naively in double: updates, parameters and state over twelve steps.
using Functional.Optimizers;
using Functional.Tests.Kernels;

namespace Functional.Tests.Optimizers;

public sealed class RuleTests
{
    private const int Steps = 12;

    /// <summary>
    /// A float32 result may differ from the naive double value by this many times the rounding bound the naive value
    /// carries (<see cref="Tracked"/>): the library may order the same operations differently (m·(1/bc₁)/d for
    /// PyTorch's (lr/bc₁)·m/d), which changes the bound by less than this.
    /// </summary>
    private const double Slack = 2;

    /// <summary>Every case on one parameter, on sizes either side of 16 and 256 (a 512-bit vector's tail, and past a whole number of them); a masked case on its layout.</summary>
    public static TheoryData<string, int> Cases() => OptimizerCases.Sized(1, 7, 17, 255, 257);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_rule_takes_PyTorchs_steps_to_within_float32_rounding(string name, int count)
    {
        var c = OptimizerCases.Named(name);
        var naive = c.Naive();
        var state = c.Init(count);
        float[] theta = Fill.Uniform(count, 7);
        var reference = Tracked.Of(theta);
        var agreement = new Agreement($"{name}, {count} parameter(s)");

        for (int step = 1; step <= Steps; step++)
        {
            float[] gradient = Gradient(count, 100 + step);
            (var updates, state) = c.Optimizer.Update(gradient, state, theta);
            var expected = naive.Step(reference, Tracked.Of(gradient));
            agreement.Check($"step {step}'s update", updates, expected);
            theta = Optimizer.Apply(theta, updates);
            for (int i = 0; i < count; i++) reference[i] = reference[i] + expected[i];
            agreement.Check($"θ after step {step}", theta, reference);
        }

        // The state's blocks are the buffers PyTorch keeps, under their names (after the chain link's "i." prefix);
        // a plateau's standing is its scheduler's, checked by the plateau test.
        var blocks = state.Blocks.ToDictionary(b => b.Key[(b.Key.IndexOf('.') + 1)..], b => b.Value.ToArray());
        blocks.Remove("plateau");
        Assert.Equal(naive.Blocks.Keys.Order(), blocks.Keys.Order());
        foreach (var (block, values) in naive.Blocks) agreement.Check($"the state's {block}", blocks[block], values);
        agreement.AssertAgrees();
        Assert.Equal(Steps, state.StepCount);
        if (naive is NaiveClipped clipped)
            // Each clipping case must really take the branch it is named for.
            Assert.True(name.Contains("not clipping") ? clipped.Clipped == 0 : clipped.Clipped > 0, $"{name}: {clipped.Clipped} of {Steps} steps clipped");
    }

    /// <summary>
    /// PyTorch's ReduceLROnPlateau, fed the same validation metrics between epochs of two steps: an improvement, a
    /// change under the relative threshold, a plateau longer than the patience (a reduction), the cooldown that
    /// follows, a second reduction to the floor, and a third that the floor stops.
    /// </summary>
    [Fact]
    public void Reduce_on_plateau_follows_PyTorchs_scheduler_metric_by_metric()
    {
        var optimizer = Optimizer.Chain(Sgd.Momentum(0.1f, 0.9f), new ReduceOnPlateau(factor: 0.5f, patience: 1, threshold: 0.01f, cooldown: 1, minimumScale: 0.25f));
        double[] metrics = [1.0, 0.995, 0.98, 0.975, 0.99, 0.99, 0.99, 0.99, 0.5, 0.6, 0.6, 0.6];
        var sgd = new NaiveSgd(0.1f, 0.9f);
        var plateau = new NaivePlateau(sgd, factor: 0.5, patience: 1, threshold: 0.01f, cooldown: 1, minLr: 0.1f * 0.25);
        const int count = 17;
        var state = optimizer.Init(count);
        float[] theta = Fill.Uniform(count, 8);
        var reference = Tracked.Of(theta);
        var agreement = new Agreement("momentum → plateau");

        for (int epoch = 0; epoch < metrics.Length; epoch++)
        {
            for (int step = 0; step < 2; step++)
            {
                float[] gradient = Gradient(count, 10 * epoch + step);
                (var updates, state) = optimizer.Update(gradient, state, theta);
                var expected = sgd.Step(reference, Tracked.Of(gradient));
                agreement.Check($"epoch {epoch}, step {step}'s update", updates, expected);
                theta = Optimizer.Apply(theta, updates);
                for (int i = 0; i < count; i++) reference[i] = reference[i] + expected[i];
            }

            var before = state;
            float? rateBefore = optimizer.CurrentLearningRate(before);
            state = optimizer.Observe(state, metrics[epoch]);
            plateau.Step(metrics[epoch]);

            var standing = Assert.IsType<PlateauState>(((ChainState)state).Links[^1]);
            string at = $"after metric {epoch} ({metrics[epoch]})";
            Assert.True((standing.Best, standing.BadEpochs, standing.CooldownLeft) == (plateau.Best, plateau.BadEpochs, plateau.CooldownCounter),
                        $"{at}: best {standing.Best}, {standing.BadEpochs} bad, cooldown {standing.CooldownLeft}; PyTorch {plateau.Best}, {plateau.BadEpochs}, {plateau.CooldownCounter}");
            float rate = optimizer.CurrentLearningRate(state)!.Value;
            Assert.True(Math.Abs(rate - sgd.LearningRate.Value) <= 1e-7 * sgd.LearningRate.Value, $"{at}: learning rate {rate}, PyTorch {sgd.LearningRate.Value}");
            // Observing gives a new state: the one observed, and the step count, stay as they were.
            Assert.Equal(rateBefore, optimizer.CurrentLearningRate(before));
            Assert.Equal(before.StepCount, state.StepCount);
        }

        agreement.AssertAgrees();
        Assert.Equal(2, plateau.Reductions);
        Assert.Equal(0.25f, ((PlateauState)((ChainState)state).Links[^1]).Scale);
    }

    [Fact]
    public void A_plateau_refuses_a_metric_that_is_not_finite()
    {
        var plateau = new ReduceOnPlateau();
        var state = plateau.Init(3);
        foreach (double metric in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            Assert.Equal("metric", Assert.Throws<ArgumentOutOfRangeException>(() => plateau.Observe(state, metric)).ParamName);
    }

    /// <summary>
    /// Uniform in [−1, 1) times a scale from 10⁻³ to 10, with about one element in ten exactly 0, one in ten tiny
    /// (~10⁻³⁰, whose square underflows) and one in twenty subnormal: where ε sits and what a zero denominator does
    /// show on those.
    /// </summary>
    private static float[] Gradient(int count, long seed)
    {
        var random = new SeededRandom(seed);
        var g = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u = 2 * random.NextDouble() - 1;
            g[i] = random.NextInt(20) switch
            {
                0 or 1 => 0f,
                2 or 3 => (float)(u * 1e-30),
                4 => (float)(u * 1e-40),
                _ => (float)(u * Math.Pow(10, 4 * random.NextDouble() - 3)),
            };
        }
        return g;
    }

    /// <summary>Float results against tracked naive values, remembering the worst for one failure message that says how far off and where first.</summary>
    private sealed class Agreement(string what)
    {
        private double largest, largestRatio;
        private int outside;
        private string? first;

        public void Check(string where, ReadOnlySpan<float> actual, Tracked[] expected)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < actual.Length; i++)
            {
                double difference = Math.Abs(actual[i] - expected[i].Value), allowed = Slack * expected[i].Error;
                if (double.IsNaN(difference)) difference = double.PositiveInfinity;
                largest = Math.Max(largest, difference);
                if (allowed > 0) largestRatio = Math.Max(largestRatio, difference / allowed);
                if (difference <= allowed) continue;
                outside++;
                first ??= $"{where} [{i}]: {actual[i]:R}, naive {expected[i].Value:R} ± {allowed:G3}";
            }
        }

        public void AssertAgrees() =>
            Assert.True(outside == 0, $"{what}: {outside} value(s) outside {Slack}× float32's rounding bound, the first {first}; " +
                                      $"largest difference {largest:G3}, {largestRatio:F2}× its allowance at worst");
    }
}
