// The training verb's optimizer options (--optimizer, --lr, --momentum, --beta1 …, --schedule, --warmup, --clip) and the optimizer they build.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Functional.Optimizers;

namespace FashionExample;

/// <summary>
/// What the command line asked of the optimizer. Unset values take the rule's PyTorch default (lr 1e-3 for Adam and
/// AdamW, 0.01 otherwise; ε 1e-10 for AdaGrad, 1e-8 otherwise; AdamW's weight decay 0.01). Schedules run over the
/// whole run's steps (epochs × batches), so they never depend on where an epoch ends.
/// </summary>
internal sealed record OptimizerChoice(
    string Rule, float? LearningRate, float? Momentum, float? Beta1, float? Beta2, float? Eps, float? WeightDecay, float? Alpha,
    string Schedule, float? Gamma, int? StepSize, int Patience, int Warmup, float? Clip)
{
    public static readonly string[] Rules = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"];
    public static readonly string[] Schedules = ["constant", "step", "exponential", "cosine", "onecycle", "plateau"];

    private static readonly Option<string> RuleOption = Cli.Require(new Option<string>("--optimizer") { Description = $"Update rule: {string.Join(", ", Rules)}", DefaultValueFactory = _ => "momentum" }, Rules.Contains, $"one of {string.Join(", ", Rules)}");
    private static readonly Option<float?> LrOption = Cli.Require(new Option<float?>("--lr") { Description = "Learning rate (peak rate for cosine and onecycle; default 1e-3 for adam and adamw, 0.01 otherwise)" }, v => v is null || v > 0 && float.IsFinite(v.Value), "a positive finite number");
    private static readonly Option<float?> MomentumOption = Cli.Require(new Option<float?>("--momentum") { Description = "Momentum μ for momentum, nesterov (default 0.9) and rmsprop (default 0)" }, v => v is null || v >= 0 && v < 1, "in [0, 1)");
    private static readonly Option<float?> Beta1Option = Cli.Require(new Option<float?>("--beta1") { Description = "Adam's first-moment decay β₁ (default 0.9)" }, v => v is null || v >= 0 && v < 1, "in [0, 1)");
    private static readonly Option<float?> Beta2Option = Cli.Require(new Option<float?>("--beta2") { Description = "Adam's second-moment decay β₂ (default 0.999)" }, v => v is null || v >= 0 && v < 1, "in [0, 1)");
    private static readonly Option<float?> EpsOption = Cli.Require(new Option<float?>("--eps") { Description = "ε in the denominator of adagrad (default 1e-10), rmsprop, adam and adamw (default 1e-8)" }, v => v is null || v > 0 && float.IsFinite(v.Value), "a positive finite number");
    private static readonly Option<float?> WeightDecayOption = Cli.Require(new Option<float?>("--weight-decay") { Description = "Weight decay: PyTorch's L2 form (g + wd·θ) for every rule but adamw, whose decay is decoupled (default 0.01 there, 0 otherwise)" }, v => v is null || v >= 0 && float.IsFinite(v.Value), "a finite number ≥ 0");
    private static readonly Option<float?> AlphaOption = Cli.Require(new Option<float?>("--alpha") { Description = "RMSProp's smoothing α (default 0.99)" }, v => v is null || v >= 0 && v < 1, "in [0, 1)");
    private static readonly Option<string> ScheduleOption = Cli.Require(new Option<string>("--schedule") { Description = $"Learning-rate schedule over the run: {string.Join(", ", Schedules)}", DefaultValueFactory = _ => "constant" }, Schedules.Contains, $"one of {string.Join(", ", Schedules)}");
    private static readonly Option<float?> GammaOption = Cli.Require(new Option<float?>("--gamma") { Description = "The factor per decay: step (default 0.1 every --step-size epochs), exponential (default 0.9 per epoch), plateau (default 0.5)" }, v => v is null || v > 0 && v < 1, "in (0, 1)");
    private static readonly Option<int?> StepSizeOption = Cli.Require(new Option<int?>("--step-size") { Description = "Epochs between step decays (default a third of the epochs)" }, v => v is null || v > 0, "a positive whole number of epochs");
    private static readonly Option<int> PatienceOption = Cli.Require(new Option<int>("--patience") { Description = "plateau: epochs without a lower validation loss before the rate is cut", DefaultValueFactory = _ => 2 }, v => v >= 0, "a whole number ≥ 0");
    private static readonly Option<int> WarmupOption = Cli.Require(new Option<int>("--warmup") { Description = "Linear warm-up over this many steps before the schedule (0: none)", DefaultValueFactory = _ => 0 }, v => v >= 0, "a whole number of steps ≥ 0");
    private static readonly Option<float?> ClipOption = Cli.Require(new Option<float?>("--clip") { Description = "Clip the gradient to this global norm before the update (off by default)" }, v => v is null || v > 0 && float.IsFinite(v.Value), "a positive finite number");

    public static readonly Option[] Options =
        [RuleOption, LrOption, MomentumOption, Beta1Option, Beta2Option, EpsOption, WeightDecayOption, AlphaOption, ScheduleOption, GammaOption, StepSizeOption, PatienceOption, WarmupOption, ClipOption];

    /// <summary>
    /// The options as given; a <paramref name="recipe"/> (a network's own defaults) fills the learning rate, schedule and
    /// warm-up when none of the three is given, and the weight decay when it is not, as long as the rule is momentum's
    /// (a recipe tuned for momentum means nothing to Adam).
    /// </summary>
    public static OptimizerChoice From(System.CommandLine.Parsing.CommandResult r, Recipe? recipe = null)
    {
        var given = new OptimizerChoice(
            r.GetValue(RuleOption)!, r.GetValue(LrOption), r.GetValue(MomentumOption), r.GetValue(Beta1Option), r.GetValue(Beta2Option), r.GetValue(EpsOption),
            r.GetValue(WeightDecayOption), r.GetValue(AlphaOption), r.GetValue(ScheduleOption)!, r.GetValue(GammaOption), r.GetValue(StepSizeOption),
            r.GetValue(PatienceOption), r.GetValue(WarmupOption), r.GetValue(ClipOption));
        if (recipe is null || given.Rule != "momentum") return given;
        bool Given(Option option) => r.GetResult(option) is { Implicit: false };
        var filled = given with { WeightDecay = given.WeightDecay ?? recipe.WeightDecay };
        return Given(LrOption) || Given(ScheduleOption) || Given(WarmupOption)
            ? filled : filled with { LearningRate = recipe.LearningRate, Schedule = recipe.Schedule, Warmup = recipe.Warmup };
    }

    /// <summary>The first option that does not apply to the chosen rule and schedule, as an error line; null when all do.</summary>
    public string? Problem()
    {
        bool adam = Rule is "adam" or "adamw";
        if (Momentum is not null && Rule is not ("momentum" or "nesterov" or "rmsprop")) return $"--momentum applies to momentum, nesterov and rmsprop, not {Rule}";
        if ((Beta1 ?? Beta2) is not null && !adam) return $"--beta1 and --beta2 apply to adam and adamw, not {Rule}";
        if (Eps is not null && Rule is "sgd" or "momentum" or "nesterov") return $"--eps applies to adagrad, rmsprop, adam and adamw, not {Rule}";
        if (Alpha is not null && Rule != "rmsprop") return $"--alpha applies to rmsprop, not {Rule}";
        if (Gamma is not null && Schedule is not ("step" or "exponential" or "plateau")) return $"--gamma applies to the step, exponential and plateau schedules, not {Schedule}";
        if (StepSize is not null && Schedule != "step") return $"--step-size applies to the step schedule, not {Schedule}";
        if (Warmup > 0 && Schedule == "onecycle") return "--warmup does not combine with --schedule onecycle, which warms up by itself";
        return null;
    }

    public float Rate => LearningRate ?? (Rule is "adam" or "adamw" ? 1e-3f : 0.01f);

    /// <summary>The optimizer for a run of <paramref name="epochs"/> epochs of <paramref name="batchesPerEpoch"/> batches.</summary>
    public Optimizer Build(int epochs, int batchesPerEpoch)
    {
        float lr = Rate;
        var rule = Rule switch
        {
            "sgd" => Sgd.Plain(lr, WeightDecay ?? 0f),
            "momentum" => Momentum == 0f ? Sgd.Plain(lr, WeightDecay ?? 0f) : Sgd.Momentum(lr, Momentum ?? 0.9f, WeightDecay ?? 0f),
            "nesterov" => Sgd.Nesterov(lr, Momentum ?? 0.9f, WeightDecay ?? 0f),
            "adagrad" => Optimizer.AdaGrad(lr, Eps ?? 1e-10f, weightDecay: WeightDecay ?? 0f),
            "rmsprop" => Optimizer.RmsProp(lr, Alpha ?? 0.99f, Eps ?? 1e-8f, Momentum ?? 0f, weightDecay: WeightDecay ?? 0f),
            "adam" => Optimizer.Adam(lr, Beta1 ?? 0.9f, Beta2 ?? 0.999f, Eps ?? 1e-8f, WeightDecay ?? 0f),
            "adamw" => Optimizer.AdamW(lr, Beta1 ?? 0.9f, Beta2 ?? 0.999f, Eps ?? 1e-8f, WeightDecay ?? 0.01f),
            _ => throw new ArgumentOutOfRangeException(nameof(Rule), Rule, "not an update rule"),
        };
        long steps = (long)epochs * batchesPerEpoch;
        var schedule = LearningRateSchedule(lr, steps, batchesPerEpoch);
        var optimizer = rule.WithSchedule(schedule);
        if (Schedule == "plateau") optimizer = Optimizer.Chain(optimizer, new ReduceOnPlateau(Gamma ?? 0.5f, Patience));
        return Clip is { } clip ? Optimizer.Chain(new ClipByGlobalNorm(clip), optimizer) : optimizer;
    }

    private Functional.Optimizers.Schedule LearningRateSchedule(float lr, long steps, int batchesPerEpoch)
    {
        long afterWarmup = Math.Max(1, steps - Warmup);
        var schedule = Schedule switch
        {
            "step" => Functional.Optimizers.Schedule.Step(lr, (long)(StepSize ?? Math.Max(1, (int)(steps / batchesPerEpoch / 3))) * batchesPerEpoch, Gamma ?? 0.1f),
            // The per-epoch factor spread evenly over the epoch's steps.
            "exponential" => Functional.Optimizers.Schedule.Exponential(lr, (float)Math.Pow(Gamma ?? 0.9f, 1.0 / batchesPerEpoch)),
            "cosine" => Functional.Optimizers.Schedule.Cosine(lr, afterWarmup),
            "onecycle" => Functional.Optimizers.Schedule.OneCycle(lr, steps),
            _ => Functional.Optimizers.Schedule.Constant(lr),
        };
        return schedule.WithWarmup(Warmup);
    }

    /// <summary>The rule and its hyperparameters in words, for the run's report.</summary>
    public string Describe()
    {
        static string F(float v) => v.ToString("G4", CultureInfo.InvariantCulture).Replace("E-0", "e-").Replace("E", "e");
        string rule = Rule switch
        {
            "sgd" => "SGD",
            "momentum" => Momentum == 0f ? "SGD" : $"SGD momentum {F(Momentum ?? 0.9f)}",
            "nesterov" => $"SGD Nesterov momentum {F(Momentum ?? 0.9f)}",
            "adagrad" => $"AdaGrad ε {F(Eps ?? 1e-10f)}",
            "rmsprop" => $"RMSProp α {F(Alpha ?? 0.99f)} ε {F(Eps ?? 1e-8f)}{(Momentum is > 0 ? $" momentum {F(Momentum.Value)}" : "")}",
            "adam" => $"Adam β₁ {F(Beta1 ?? 0.9f)} β₂ {F(Beta2 ?? 0.999f)} ε {F(Eps ?? 1e-8f)}",
            _ => $"AdamW β₁ {F(Beta1 ?? 0.9f)} β₂ {F(Beta2 ?? 0.999f)} ε {F(Eps ?? 1e-8f)}",
        };
        float decay = WeightDecay ?? (Rule == "adamw" ? 0.01f : 0f);
        return rule + (decay > 0 ? $", weight decay {F(decay)}" : "") + (Clip is { } c ? $", clip {F(c)}" : "");
    }

    /// <summary>The schedule in words.</summary>
    public string DescribeSchedule() => Schedule + (Warmup > 0 ? $" after {Warmup} warm-up steps" : "");

    /// <summary>The choice as it goes into a checkpoint's configuration, so a resume with other values is refused.</summary>
    public JsonObject Configuration() => new()
    {
        ["optimizer"] = Describe(),
        ["learningRate"] = Rate,
        ["schedule"] = DescribeSchedule(),
        ["gamma"] = Gamma,
        ["stepSize"] = StepSize,
        ["patience"] = Schedule == "plateau" ? Patience : null,
    };
}

/// <summary>
/// A network's own defaults for SGD momentum, chosen by measurement (README: the CNNs' 15-epoch results); the MLP has
/// none and keeps PyTorch's (lr 0.01, constant, no weight decay).
/// </summary>
internal sealed record Recipe(float LearningRate, string Schedule, int Warmup, float WeightDecay)
{
    /// <summary>The recipe of <c>--network</c> <paramref name="shape"/>, or null for the MLP.</summary>
    public static Recipe? For(string shape) => shape switch
    {
        "cnn" => new(0.02f, "cosine", 500, 5e-4f),
        "cnn-bn" => new(0.05f, "cosine", 500, 1e-3f),
        _ => null,
    };

    /// <summary>The recipe as the options that would give it.</summary>
    public string CommandLine() => FormattableString.Invariant($"--lr {LearningRate} --schedule {Schedule} --warmup {Warmup} --weight-decay {WeightDecay}");
}
