// Learning-rate schedules as pure functions of the step, in PyTorch's closed forms; any works with any optimizer.
namespace Functional.Optimizers;

/// <summary>
/// A learning rate as a pure function of the step t (0 on the first update): <see cref="At"/>. Built from the
/// constructors below, which check their arguments; computed in double and rounded once to float. Combine a schedule
/// with any optimizer through <see cref="Optimizer.WithSchedule"/> or <see cref="ScaleByLearningRate"/>.
/// </summary>
public abstract record Schedule
{
    private protected Schedule() { }

    /// <summary>The learning rate for step <paramref name="step"/> (0-based; negative steps are refused).</summary>
    public float At(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return (float)Value(step);
    }

    private protected abstract double Value(long step);

    /// <summary>η(t) = <paramref name="learningRate"/>.</summary>
    public static Schedule Constant(float learningRate) => new ConstantSchedule(D(Check.Positive(learningRate, "learningRate")));

    /// <summary>PyTorch's <c>StepLR</c>: η(t) = η₀·γ^⌊t / <paramref name="every"/>⌋.</summary>
    public static Schedule Step(float learningRate, long every, float gamma = 0.1f) =>
        new StepSchedule(D(Check.Positive(learningRate, "learningRate")), Check.Steps(every, "every"), D(CheckGamma(gamma)));

    /// <summary>PyTorch's <c>ExponentialLR</c>: η(t) = η₀·γ^t.</summary>
    public static Schedule Exponential(float learningRate, float gamma) => new ExponentialSchedule(D(Check.Positive(learningRate, "learningRate")), D(CheckGamma(gamma)));

    /// <summary>
    /// PyTorch's <c>CosineAnnealingLR</c> (closed form): η(t) = η_min + (η₀ − η_min)·(1 + cos(π·t/T))/2 for t ≤ T =
    /// <paramref name="steps"/>, then η_min.
    /// </summary>
    public static Schedule Cosine(float learningRate, long steps, float minimum = 0f)
    {
        Check.Positive(learningRate, "learningRate");
        return Check.NonNegative(minimum, "minimum") <= learningRate
            ? new CosineSchedule(D(learningRate), Check.Steps(steps, "steps"), D(minimum))
            : throw new ArgumentOutOfRangeException(nameof(minimum), minimum, $"the cosine's floor must not exceed its start {learningRate}");
    }

    /// <summary>
    /// PyTorch's <c>OneCycleLR</c> (two phases, cosine annealing; Smith &amp; Topin 2018) over <paramref name="steps"/> steps:
    /// from η_max/<paramref name="divFactor"/> up to <paramref name="maxLearningRate"/> until step pct·T − 1, then down to
    /// η_max/(divFactor·<paramref name="finalDivFactor"/>) at step T − 1. The momentum is not cycled (PyTorch's
    /// <c>cycle_momentum</c>): momentum and β₁ stay the optimizer's values.
    /// </summary>
    public static Schedule OneCycle(float maxLearningRate, long steps, float pctStart = 0.3f, float divFactor = 25f, float finalDivFactor = 1e4f)
    {
        Check.Positive(maxLearningRate, "maxLearningRate");
        Check.Steps(steps, "steps");
        if (!(pctStart > 0 && pctStart < 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pctStart must be in (0, 1)");
        double rise = Check.Decimal(pctStart) * steps - 1;
        if (!(rise > 0 && rise < steps - 1)) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"a one-cycle schedule of {steps} steps has no room for its rise and fall at pctStart {pctStart}");
        return new OneCycleSchedule(D(maxLearningRate), steps, rise, D(Check.Positive(divFactor, "divFactor")), D(Check.Positive(finalDivFactor, "finalDivFactor")));
    }

    /// <summary>AdaGrad's <c>lr_decay</c> in PyTorch: η(t) = η₀ / (1 + t·<paramref name="decay"/>).</summary>
    public static Schedule InverseTime(float learningRate, float decay) =>
        new InverseTimeSchedule(D(Check.Positive(learningRate, "learningRate")), D(Check.NonNegative(decay, "lrDecay")));

    /// <summary>
    /// A linear warm-up of <paramref name="steps"/> steps before this schedule, PyTorch's <c>LinearLR</c> then this one
    /// (<c>SequentialLR</c>): η(t) = this(0)·(s + (1 − s)·t/steps) for t &lt; steps, then this(t − steps) — so a cosine over
    /// the rest of the run starts where the warm-up ends (Optax's <c>warmup_cosine_decay_schedule</c> shape). The start
    /// factor s defaults to 1/(steps + 1): the rate climbs in equal steps and the first is never taken at 0.
    /// </summary>
    public Schedule WithWarmup(long steps, float? startFactor = null)
    {
        if (steps == 0) return this;
        Check.Steps(steps, "warmup");
        double start = startFactor is { } s
            ? s > 0 && s <= 1 ? Check.Decimal(s) : throw new ArgumentOutOfRangeException(nameof(startFactor), s, "the warm-up's start factor must be in (0, 1]")
            : 1.0 / (steps + 1);
        return new WarmupSchedule(this, steps, start);
    }

    /// <summary>Float arguments stand for the decimals they were written as (see <see cref="Check.Decimal"/>); converted once, here, as the conversion allocates.</summary>
    private static double D(float value) => Check.Decimal(value);

    private static float CheckGamma(float gamma) =>
        gamma > 0 && gamma <= 1 ? gamma : throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in (0, 1]");

    private sealed record ConstantSchedule(double Rate) : Schedule
    {
        private protected override double Value(long step) => Rate;
    }

    private sealed record StepSchedule(double Rate, long Every, double Gamma) : Schedule
    {
        private protected override double Value(long step) => Rate * Math.Pow(Gamma, step / Every);
    }

    private sealed record ExponentialSchedule(double Rate, double Gamma) : Schedule
    {
        private protected override double Value(long step) => Rate * Math.Pow(Gamma, step);
    }

    private sealed record CosineSchedule(double Rate, long Steps, double Minimum) : Schedule
    {
        private protected override double Value(long step) =>
            step >= Steps ? Minimum : Minimum + (Rate - Minimum) * (1 + Math.Cos(Math.PI * step / Steps)) / 2;
    }

    private sealed record OneCycleSchedule(double Peak, long Steps, double Rise, double DivFactor, double FinalDivFactor) : Schedule
    {
        private protected override double Value(long step)
        {
            double initial = Peak / DivFactor, final = initial / FinalDivFactor;
            return step <= Rise ? Anneal(initial, Peak, step / Rise)
                : Anneal(Peak, final, Math.Min(1, (step - Rise) / (Steps - 1 - Rise)));
        }

        private static double Anneal(double start, double end, double fraction) => end + (start - end) / 2 * (Math.Cos(Math.PI * fraction) + 1);
    }

    private sealed record InverseTimeSchedule(double Rate, double Decay) : Schedule
    {
        private protected override double Value(long step) => Rate / (1 + step * Decay);
    }

    private sealed record WarmupSchedule(Schedule Inner, long Steps, double Start) : Schedule
    {
        private protected override double Value(long step) =>
            step < Steps ? Inner.Value(0) * (Start + (1 - Start) * step / Steps) : Inner.Value(step - Steps);
    }
}
