// Our update rules and schedules against torch.optim 1.13's own trajectories (TorchReference/*.json, made by bench/optim_reference.py).
using System.Text.Json;
using Functional.Optimizers;

namespace Functional.Tests.Optimizers;

/// <summary>
/// Each fixture is 12 steps of one torch.optim rule on a float32 vector (sizes 1 to 257, gradients with zeros, tiny and
/// large values), or 30 to 60 values of one learning-rate scheduler. We build the same optimizer from the fixture's own
/// hyperparameters, feed the same gradients and compare every step. Bit-for-bit agreement is not the aim: PyTorch fuses
/// some multiplies and adds and folds the learning rate into one expression, where our chain rounds each transformation
/// on its own (docs/optimizers.md); the bound is float32 rounding over a dozen steps, relative to the step's largest |θ|.
/// </summary>
public sealed class TorchReferenceTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Optimizers", "TorchReference");

    /// <summary>
    /// A few float32 roundings (2⁻²⁴ ≈ 6e-8 each) accumulated over 12 steps, relative to max |θ|. Measured worst cases:
    /// AdamW 3.1e-7 (its decay is a separate term of our chain, a factor (1 − lr·wd) in PyTorch's), every other rule
    /// 1.6e-7 or less (docs/optimizers.md).
    /// </summary>
    private const double Tolerance = 4e-7;

    /// <summary>
    /// A schedule is computed in double and rounded once to float, so it may differ from PyTorch's double by at most
    /// that rounding, 2⁻²⁴ relative (measured worst 5.4e-8).
    /// </summary>
    private const double ScheduleTolerance = 5.97e-8;

    public static TheoryData<string> Rules() => [.. Names().Where(n => !n.StartsWith("schedule_"))];

    public static TheoryData<string> Schedules() => [.. Names().Where(n => n.StartsWith("schedule_"))];

    private static IEnumerable<string> Names() => Directory.EnumerateFiles(Folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order();

    [Theory]
    [MemberData(nameof(Rules))]
    public void Each_step_matches_torch_optim_to_float32_precision(string name)
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
        var root = fixture.RootElement;
        var optimizer = Build(root.GetProperty("rule").GetString()!, root.GetProperty("hyperparameters"));
        if (root.GetProperty("clip_norm").ValueKind == JsonValueKind.Number)
            optimizer = Optimizer.Chain(new ClipByGlobalNorm(root.GetProperty("clip_norm").GetSingle()), optimizer);
        var theta = Floats(root.GetProperty("initial"));
        var gradients = root.GetProperty("gradients").EnumerateArray().Select(Floats).ToArray();
        var expected = root.GetProperty("parameters").EnumerateArray().Select(Floats).ToArray();
        var state = optimizer.Init(theta.Length);

        double worst = 0;
        for (int step = 0; step < gradients.Length; step++)
        {
            (var updates, state) = optimizer.Update(gradients[step], state, theta);
            theta = Optimizer.Apply(theta, updates);
            double scale = Math.Max(1e-3, expected[step].Max(v => Math.Abs((double)v)));
            for (int i = 0; i < theta.Length; i++)
            {
                double difference = Math.Abs((double)theta[i] - expected[step][i]) / scale;
                worst = Math.Max(worst, difference);
                Assert.True(difference <= Tolerance,
                    $"{name}, step {step + 1}, θ[{i}] = {theta[i]:R}, torch {expected[step][i]:R}: {difference:E2} of max |θ| (bound {Tolerance:E0})");
            }
        }
        Assert.True(worst > 0 || theta.Length == 1, $"{name}: identical to the bit on every step — the comparison may not be running");
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Each_value_matches_torch_lr_scheduler(string name)
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
        var root = fixture.RootElement;
        var args = root.GetProperty("arguments");
        float lr = (float)root.GetProperty("base_lr").GetDouble();
        var expected = root.GetProperty("lr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] ours = name switch
        {
            "schedule_steplr" => Values(Schedule.Step(lr, args.GetProperty("step_size").GetInt32(), F(args, "gamma")), expected.Length),
            "schedule_exponentiallr" => Values(Schedule.Exponential(lr, F(args, "gamma")), expected.Length),
            "schedule_cosine" => Values(Schedule.Cosine(lr, args.GetProperty("T_max").GetInt32(), F(args, "eta_min")), expected.Length),
            "schedule_onecycle" => Values(Schedule.OneCycle(F(args, "max_lr"), args.GetProperty("total_steps").GetInt32(), F(args, "pct_start"),
                                                            F(args, "div_factor"), F(args, "final_div_factor")), expected.Length),
            "schedule_warmup_cosine" => Values(WarmupCosine(lr, args), expected.Length),
            "schedule_plateau" => Plateau(lr, args, root.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble()).ToArray()),
            _ => throw new InvalidOperationException($"no reading for fixture {name}"),
        };
        for (int t = 0; t < expected.Length; t++)
            Assert.True(Math.Abs(ours[t] - expected[t]) <= ScheduleTolerance * expected[t], $"{name}, step {t}: ours {ours[t]:R}, torch {expected[t]:R}");
    }

    /// <summary>torch's SequentialLR(LinearLR(start → 1 over n), CosineAnnealingLR(T_max, eta_min), milestones [n]).</summary>
    private static Schedule WarmupCosine(float lr, JsonElement args)
    {
        var schedulers = args.GetProperty("schedulers");
        var linear = schedulers[0].GetProperty("LinearLR");
        var cosine = schedulers[1].GetProperty("CosineAnnealingLR");
        return Schedule.Cosine(lr, cosine.GetProperty("T_max").GetInt32(), F(cosine, "eta_min"))
            .WithWarmup(linear.GetProperty("total_iters").GetInt32(), F(linear, "start_factor"));
    }

    /// <summary>The learning rate after each observed metric, as the fixture records torch's after scheduler.step(loss).</summary>
    private static double[] Plateau(float lr, JsonElement args, double[] metrics)
    {
        var optimizer = Optimizer.Chain(new ScaleByLearningRate(lr),
            new ReduceOnPlateau(F(args, "factor"), args.GetProperty("patience").GetInt32(), F(args, "threshold"), args.GetProperty("cooldown").GetInt32(),
                                minimumScale: (float)(args.GetProperty("min_lr").GetDouble() / lr)));
        var state = optimizer.Init(1);
        var rates = new List<double>();
        foreach (double metric in metrics)
        {
            state = optimizer.Observe(state, metric);
            rates.Add(optimizer.CurrentLearningRate(state)!.Value);
        }
        return [.. rates];
    }

    private static double[] Values(Schedule schedule, int count) => [.. Enumerable.Range(0, count).Select(t => (double)schedule.At(t))];

    private static Optimizer Build(string rule, JsonElement h)
    {
        float lr = F(h, "lr"), wd = F(h, "weight_decay");
        return rule switch
        {
            "sgd" => Optimizer.Chain(Optimizer.WeightDecay(wd),
                                     F(h, "momentum") == 0 ? null : new Trace(F(h, "momentum"), h.GetProperty("nesterov").GetBoolean(), F(h, "dampening")),
                                     new ScaleByLearningRate(lr)),
            "adagrad" => Optimizer.AdaGrad(lr, F(h, "eps"), F(h, "initial_accumulator_value"), F(h, "lr_decay"), wd),
            "rmsprop" => Optimizer.RmsProp(lr, F(h, "alpha"), F(h, "eps"), F(h, "momentum"), h.GetProperty("centered").GetBoolean(), wd),
            "adam" => Optimizer.Adam(lr, Beta(h, 0), Beta(h, 1), F(h, "eps"), wd),
            "adamw" => Optimizer.AdamW(lr, Beta(h, 0), Beta(h, 1), F(h, "eps"), wd),
            _ => throw new InvalidOperationException($"no rule {rule}"),
        };
    }

    private static float F(JsonElement e, string name) => (float)e.GetProperty(name).GetDouble();

    private static float Beta(JsonElement h, int i) => (float)h.GetProperty("betas")[i].GetDouble();

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetSingle())];
}
