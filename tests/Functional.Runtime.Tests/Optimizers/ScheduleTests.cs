// Learning-rate schedules at chosen steps against their closed forms, and every optimizer reading and using its schedule's rate.
using Functional.Optimizers;
using Functional.Tests.Kernels;

namespace Functional.Tests.Optimizers;

public sealed class ScheduleTests
{
    /// <summary>
    /// (schedule, step, value worked out by hand from PyTorch's closed form). Hyperparameters are powers of two or
    /// else appear as the decimal they were written as (0.9f is 0.9), so the only rounding left is the schedule's own
    /// one rounding to float.
    /// </summary>
    public static TheoryData<string, long, double> Values() => new()
    {
        { "constant", 0, 0.25 },
        { "constant", 1_000_000_000, 0.25 },
        // StepLR(0.5, every 3, γ 0.5): 0.5·0.5^⌊t/3⌋
        { "step", 0, 0.5 },
        { "step", 2, 0.5 },
        { "step", 3, 0.25 },
        { "step", 5, 0.25 },
        { "step", 6, 0.125 },
        { "step", 30, 0.5 * Math.Pow(0.5, 10) },
        // ExponentialLR(0.5, γ 0.9f): 0.5·γ^t
        { "exponential", 0, 0.5 },
        { "exponential", 1, 0.5 * 0.9 },
        { "exponential", 100, 0.5 * Math.Pow(0.9, 100) },
        // CosineAnnealingLR(1, T 10, η_min 0.125): η_min + (1 − η_min)(1 + cos(πt/T))/2, then η_min from T on
        { "cosine", 0, 1 },
        { "cosine", 5, 0.125 + 0.875 / 2 },
        { "cosine", 9, 0.125 + 0.875 * (1 + Math.Cos(0.9 * Math.PI)) / 2 },
        { "cosine", 10, 0.125 },
        { "cosine", 11, 0.125 },
        { "cosine", 1_000_000, 0.125 },
        // OneCycleLR(max 1, T 100, pct 0.25, div 25, final div 10⁴): from 0.04 up to 1 at step 0.25·100 − 1 = 24,
        // then down to 0.04/10⁴ = 4·10⁻⁶ at step 99: end + (start − end)(1 + cos(π·fraction))/2
        { "one-cycle", 0, 0.04 },
        { "one-cycle", 12, 1 + (0.04 - 1) / 2 },
        { "one-cycle", 24, 1 },
        { "one-cycle", 49, 4e-6 + (1 - 4e-6) * (1 + 0.5) / 2 },
        { "one-cycle", 99, 4e-6 },
        { "one-cycle", 150, 4e-6 },
        // AdaGrad's lr_decay: 0.5 / (1 + 0.5·t)
        { "inverse-time", 0, 0.5 },
        { "inverse-time", 2, 0.25 },
        { "inverse-time", 4, 0.5 / 3 },
        // Cosine(1, T 10) after four warm-up steps: 1·(t + 1)/5 for t < 4, then the cosine at t − 4
        { "warm-up cosine", 0, 0.2 },
        { "warm-up cosine", 3, 0.8 },
        { "warm-up cosine", 4, 1 },
        { "warm-up cosine", 9, 0.5 },
        { "warm-up cosine", 14, 0 },
        { "warm-up cosine", 20, 0 },
        { "warm-up constant", 0, 0.125 },
        { "warm-up constant", 1, 0.25 },
        { "warm-up constant", 7, 0.25 },
    };

    private static readonly Dictionary<string, Schedule> Schedules = new()
    {
        ["constant"] = Schedule.Constant(0.25f),
        ["step"] = Schedule.Step(0.5f, every: 3, gamma: 0.5f),
        ["exponential"] = Schedule.Exponential(0.5f, 0.9f),
        ["cosine"] = Schedule.Cosine(1f, 10, minimum: 0.125f),
        ["one-cycle"] = Schedule.OneCycle(1f, 100, pctStart: 0.25f, divFactor: 25f, finalDivFactor: 1e4f),
        ["inverse-time"] = Schedule.InverseTime(0.5f, 0.5f),
        ["warm-up cosine"] = Schedule.Cosine(1f, 10).WithWarmup(4),
        ["warm-up constant"] = Schedule.Constant(0.25f).WithWarmup(1),
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_schedule_has_its_closed_forms_value_at_each_step(string schedule, long step, double expected)
    {
        float rate = Schedules[schedule].At(step);
        // Rounded once to float from the exact value: within one unit in the last place of it.
        Assert.True(Math.Abs(rate - expected) <= Math.Abs(expected) * Math.ScaleB(1.0, -23), $"{schedule} at step {step}: {rate:R}, expected {expected:R}");
    }

    [Fact]
    public void The_one_cycle_peak_is_its_largest_value_and_it_rises_then_falls()
    {
        var schedule = Schedules["one-cycle"];
        var rates = Enumerable.Range(0, 100).Select(t => schedule.At(t)).ToArray();
        Assert.Equal(24, Array.IndexOf(rates, rates.Max()));
        for (int t = 1; t < rates.Length; t++)
            Assert.True(t <= 24 ? rates[t] > rates[t - 1] : rates[t] < rates[t - 1], $"step {t}: {rates[t - 1]} → {rates[t]}");
    }

    [Fact]
    public void No_warm_up_is_the_schedule_itself_and_a_negative_step_is_refused()
    {
        var cosine = Schedule.Cosine(1f, 10);
        Assert.Same(cosine, cosine.WithWarmup(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => cosine.At(-1));
    }

    public static TheoryData<string, string> OptimizersAndSchedules()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in OptimizerCases.All)
            foreach (string schedule in Schedules.Keys)
                data.Add(c.Name, schedule);
        return data;
    }

    /// <summary>
    /// Any schedule on any optimizer: at every step the rate it reports (<see cref="Optimizer.CurrentLearningRate"/>) is
    /// the schedule's at that step count, and the step it takes is the one a constant rate of that value takes from the
    /// same state, bit for bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(OptimizersAndSchedules))]
    public void Any_optimizer_takes_each_step_at_its_schedules_rate(string name, string scheduleName)
    {
        var c = OptimizerCases.Named(name);
        var schedule = Schedules[scheduleName];
        var scheduled = c.Optimizer.WithSchedule(schedule);
        int count = c.Size(19);
        var state = c.Init(count);
        float[] theta = Fill.Uniform(count, 11);
        for (int step = 0; step < 12; step++)
        {
            float rate = schedule.At(step);
            Assert.Equal(rate, scheduled.CurrentLearningRate(state));
            float[] gradient = Fill.Uniform(count, 110 + step);
            var (updates, next) = scheduled.Update(gradient, state, theta);
            var (constant, _) = c.Optimizer.WithLearningRate(rate).Update(gradient, state, theta);
            CompositionTests.AssertSameBits(constant, updates, $"{name} with {scheduleName}, step {step}");
            (state, theta) = (next, Optimizer.Apply(theta, updates));
        }
        Assert.Equal(c.Optimizer.Structure, scheduled.Structure);
    }

    /// <summary>A lone ScaleByLearningRate is u = −η(t)·g, the one place the rate is applied, and reports η at its count.</summary>
    [Fact]
    public void ScaleByLearningRate_steps_by_minus_the_scheduled_rate()
    {
        var schedule = Schedule.Step(0.5f, every: 2, gamma: 0.5f);
        var scale = new ScaleByLearningRate(schedule);
        var state = scale.Init(5);
        float[] gradient = [1f, -2f, 0f, 3f, 0.5f];
        for (int step = 0; step < 5; step++)
        {
            float rate = 0.5f * MathF.Pow(0.5f, step / 2);
            Assert.Equal(rate, scale.CurrentLearningRate(state));
            (var updates, state) = scale.Update(gradient, state, new float[5]);
            Assert.Equal(gradient.Select(g => g * -rate), updates);
        }
    }

    [Fact]
    public void WithSchedule_replaces_the_rate_keeps_the_rest_and_refuses_an_optimizer_without_one()
    {
        var adam = Optimizer.Adam(1e-3f, beta1: 0.8f) with { Fuse = false };
        var cosine = Schedule.Cosine(1e-2f, 100);
        var scheduled = Assert.IsType<Chain>(adam.WithSchedule(cosine));
        Assert.False(scheduled.Fuse);
        Assert.Equal(0.8f, Assert.IsType<ScaleByAdam>(scheduled.Links[0]).Beta1);
        Assert.Same(cosine, Assert.IsType<ScaleByLearningRate>(scheduled.Links[^1]).Schedule);
        Assert.Equal(Optimizer.Adam(1e-3f, beta1: 0.8f) with { Fuse = false }, adam);
        Assert.Equal(0.05f, adam.WithLearningRate(0.05f).CurrentLearningRate(adam.Init(3)));

        foreach (var without in new Optimizer[] { new ScaleByAdam(), new Trace(0.9f), Optimizer.Chain(new ClipByGlobalNorm(1f), new ScaleByRms(), new ReduceOnPlateau()) })
        {
            Assert.Null(without.CurrentLearningRate(without.Init(3)));
            var error = Assert.Throws<InvalidOperationException>(() => without.WithSchedule(cosine));
            Assert.Contains(without.Structure, error.Message);
            Assert.Throws<InvalidOperationException>(() => without.WithLearningRate(0.1f));
        }
    }
}
