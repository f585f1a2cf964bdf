// PyTorch's optimizer steps written out naively in double precision, each value carrying a bound on float32's rounding.
using static Functional.Tests.Optimizers.WrittenAs;

namespace Functional.Tests.Optimizers;

/// <summary>
/// A value computed in double, with a first-order bound on how far float32 arithmetic doing the same operations
/// could end from it (a running error bound, Higham's "Accuracy and Stability of Numerical Algorithms" §3.3): each
/// +, −, ×, ÷ and √ adds 2⁻²⁴·|result| (float32's unit roundoff) and 2⁻¹⁴⁹ (a rounding among the subnormals) to what
/// it propagates from its operands. A rule test then allows a float32 result twice this bound from the double value,
/// the slack covering a different but equally long order of the same operations; a wrong formula is off by far more
/// wherever the bound is small, and the bound is small wherever no cancellation happened.
/// </summary>
internal readonly record struct Tracked(double Value, double Error)
{
    private const double Unit = 1.0 / (1 << 24);
    private static readonly double Subnormal = Math.ScaleB(1.0, -149);

    /// <summary>A float the library holds exactly: an input, or a hyperparameter it uses as given.</summary>
    public static Tracked Exact(double value) => new(value, 0);

    /// <summary>A quantity the library computes in double and rounds once to float (a bias correction, a scheduled rate).</summary>
    public static Tracked RoundedOnce(double value) => new(value, Unit * Math.Abs(value));

    private static Tracked Rounded(double value, double propagated) => new(value, propagated + Unit * Math.Abs(value) + Subnormal);

    public static implicit operator Tracked(float value) => Exact(value);

    public static Tracked operator +(Tracked a, Tracked b) => Rounded(a.Value + b.Value, a.Error + b.Error);

    public static Tracked operator -(Tracked a, Tracked b) => Rounded(a.Value - b.Value, a.Error + b.Error);

    public static Tracked operator -(Tracked a) => new(-a.Value, a.Error);

    public static Tracked operator *(Tracked a, Tracked b) =>
        Rounded(a.Value * b.Value, Math.Abs(a.Value) * b.Error + Math.Abs(b.Value) * a.Error + a.Error * b.Error);

    public static Tracked operator /(Tracked a, Tracked b)
    {
        double q = a.Value / b.Value, room = Math.Abs(b.Value) - b.Error;
        return Rounded(q, room > 0 ? (a.Error + Math.Abs(q) * b.Error) / room : double.PositiveInfinity);
    }

    /// <summary>√x: |√x − √y| ≤ |x − y| / (√x + √y), and never more than √|x − y|.</summary>
    public static Tracked Sqrt(Tracked x)
    {
        double r = Math.Sqrt(x.Value);
        double propagated = x.Error == 0 ? 0 : Math.Min(x.Error / (r + Math.Sqrt(Math.Max(x.Value - x.Error, 0))), Math.Sqrt(x.Error));
        return Rounded(r, propagated);
    }

    public static Tracked[] Of(ReadOnlySpan<float> values)
    {
        var tracked = new Tracked[values.Length];
        for (int i = 0; i < values.Length; i++) tracked[i] = values[i];
        return tracked;
    }

    public static Tracked[] Filled(int count, float value) => Enumerable.Repeat(Exact(value), count).ToArray();
}

/// <summary>
/// One optimizer as PyTorch's <c>torch.optim</c> step writes it (its <c>_single_tensor_*</c> functions), on tracked
/// values: <see cref="Step"/> gives Δθ for one gradient, and the buffers are named as the library's state blocks
/// name them (without the chain's "i." prefix).
/// </summary>
internal abstract class NaiveOptimizer
{
    /// <summary>How many steps have been taken (PyTorch's <c>state["step"]</c>).</summary>
    protected long Steps { get; private set; }

    /// <summary>The learning rate; the plateau test lowers it as PyTorch's ReduceLROnPlateau writes <c>group["lr"]</c>.</summary>
    public Tracked LearningRate { get; set; }

    /// <summary>The state's buffers by the library's block names.</summary>
    public Dictionary<string, Tracked[]> Blocks { get; } = new(StringComparer.Ordinal);

    public Tracked[] Step(Tracked[] theta, Tracked[] gradient)
    {
        Steps++;
        return Direction(theta, gradient);
    }

    protected abstract Tracked[] Direction(Tracked[] theta, Tracked[] g);

    /// <summary>A buffer of the state, made on first use filled with <paramref name="start"/> (PyTorch's <c>torch.zeros_like</c>, or AdaGrad's full).</summary>
    protected Tracked[] Buffer(string name, int count, float start = 0f) =>
        Blocks.TryGetValue(name, out var b) ? b : Blocks[name] = Tracked.Filled(count, start);

    /// <summary>grad.add(param, alpha=weight_decay), on the elements <paramref name="decays"/> marks (all when null).</summary>
    protected static Tracked L2(Tracked g, Tracked theta, float weightDecay, bool[]? decays, int i) =>
        weightDecay != 0 && (decays is null || decays[i]) ? g + theta * weightDecay : g;
}

/// <summary><c>torch.optim.SGD</c> (no dampening): buf = g on the first step, then μ·buf + g; Nesterov g + μ·buf; θ −= lr·d.</summary>
internal sealed class NaiveSgd : NaiveOptimizer
{
    private readonly float momentum, weightDecay;
    private readonly bool nesterov;
    private readonly bool[]? decays;

    public NaiveSgd(float lr, float momentum = 0f, bool nesterov = false, float weightDecay = 0f, bool[]? decays = null)
    {
        LearningRate = lr;
        (this.momentum, this.nesterov, this.weightDecay, this.decays) = (momentum, nesterov, weightDecay, decays);
    }

    protected override Tracked[] Direction(Tracked[] theta, Tracked[] g)
    {
        bool first = !Blocks.ContainsKey("velocity");
        var buf = momentum == 0 ? null : Buffer("velocity", g.Length);
        var delta = new Tracked[g.Length];
        for (int i = 0; i < g.Length; i++)
        {
            var d = L2(g[i], theta[i], weightDecay, decays, i);
            if (buf is not null)
            {
                buf[i] = first ? d : buf[i] * momentum + d;
                d = nesterov ? d + buf[i] * momentum : buf[i];
            }
            delta[i] = -LearningRate * d;
        }
        return delta;
    }
}

/// <summary><c>torch.optim.Adagrad</c>: clr = lr / (1 + (step − 1)·lr_decay); sum += g²; θ −= clr·g / (√sum + ε).</summary>
internal sealed class NaiveAdaGrad : NaiveOptimizer
{
    private readonly float eps, initialAccumulator, lrDecay, weightDecay;

    public NaiveAdaGrad(float lr, float eps = 1e-10f, float initialAccumulator = 0f, float lrDecay = 0f, float weightDecay = 0f)
    {
        LearningRate = lr;
        (this.eps, this.initialAccumulator, this.lrDecay, this.weightDecay) = (eps, initialAccumulator, lrDecay, weightDecay);
    }

    protected override Tracked[] Direction(Tracked[] theta, Tracked[] g)
    {
        var sum = Buffer("sum", g.Length, initialAccumulator);
        // Python computes clr in double; the library's schedule rounds it once to float.
        var clr = lrDecay == 0 ? LearningRate : Tracked.RoundedOnce(LearningRate.Value / (1 + (Steps - 1) * (double)lrDecay));
        var delta = new Tracked[g.Length];
        for (int i = 0; i < g.Length; i++)
        {
            var d = L2(g[i], theta[i], weightDecay, null, i);
            sum[i] = sum[i] + d * d;
            delta[i] = -clr * (d / (Tracked.Sqrt(sum[i]) + eps));
        }
        return delta;
    }
}

/// <summary>
/// <c>torch.optim.RMSprop</c>: sq = α·sq + (1 − α)·g²; centred, avg_g = α·avg_g + (1 − α)·g and √(sq − avg_g²); then
/// + ε; with momentum buf = μ·buf + g / avg and θ −= lr·buf, else θ −= lr·g / avg.
/// </summary>
internal sealed class NaiveRmsProp : NaiveOptimizer
{
    private readonly float alpha, eps, momentum, weightDecay;
    private readonly bool centered;

    public NaiveRmsProp(float lr, float alpha = 0.99f, float eps = 1e-8f, float momentum = 0f, bool centered = false, float weightDecay = 0f)
    {
        LearningRate = lr;
        (this.alpha, this.eps, this.momentum, this.centered, this.weightDecay) = (alpha, eps, momentum, centered, weightDecay);
    }

    protected override Tracked[] Direction(Tracked[] theta, Tracked[] g)
    {
        var square = Buffer("square", g.Length);
        var mean = centered ? Buffer("mean", g.Length) : null;
        var buf = momentum == 0 ? null : Buffer("velocity", g.Length);
        // 1 − α from the decimal α stands for (0.99f is 0.99), as PyTorch computes it from a Python float, rounded once.
        var rest = Tracked.RoundedOnce(1 - Written(alpha));
        var delta = new Tracked[g.Length];
        for (int i = 0; i < g.Length; i++)
        {
            var d = L2(g[i], theta[i], weightDecay, null, i);
            square[i] = square[i] * alpha + d * rest * d;
            Tracked avg;
            if (mean is not null)
            {
                mean[i] = mean[i] * alpha + d * rest;
                avg = Tracked.Sqrt(square[i] - mean[i] * mean[i]) + eps;
            }
            else avg = Tracked.Sqrt(square[i]) + eps;
            if (buf is not null)
            {
                buf[i] = buf[i] * momentum + d / avg;
                delta[i] = -LearningRate * buf[i];
            }
            else delta[i] = -LearningRate * (d / avg);
        }
        return delta;
    }
}

/// <summary>
/// <c>torch.optim.Adam</c> (L2 <c>weight_decay</c> into the gradient) and <c>torch.optim.AdamW</c> (θ·(1 − lr·wd)
/// before the step, written here as its part −lr·wd·θ of Δθ): m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g²;
/// θ −= (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε).
/// </summary>
internal sealed class NaiveAdam : NaiveOptimizer
{
    private readonly float beta1, beta2, eps, weightDecay;
    private readonly bool decoupled;
    private readonly bool[]? decays;

    public NaiveAdam(float lr, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f, bool decoupled = false, bool[]? decays = null)
    {
        LearningRate = lr;
        (this.beta1, this.beta2, this.eps, this.weightDecay, this.decoupled, this.decays) = (beta1, beta2, eps, weightDecay, decoupled, decays);
    }

    /// <summary><c>torch.optim.AdamW</c> (its default weight decay is 0.01).</summary>
    public static NaiveAdam W(float lr, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f, bool[]? decays = null) =>
        new(lr, beta1, beta2, eps, weightDecay, decoupled: true, decays);

    protected override Tracked[] Direction(Tracked[] theta, Tracked[] g)
    {
        var m = Buffer("m", g.Length);
        var v = Buffer("v", g.Length);
        // The bias corrections are Python floats (double) in PyTorch; the library rounds each once to float.
        // β stands for the decimal written (0.999f is 0.999), as PyTorch's Python floats are.
        double correction1 = 1 - Math.Pow(Written(beta1), Steps), correction2 = 1 - Math.Pow(Written(beta2), Steps);
        var stepSize = Tracked.RoundedOnce(LearningRate.Value / correction1);
        var correction2Root = Tracked.RoundedOnce(Math.Sqrt(correction2));
        Tracked rest1 = Tracked.RoundedOnce(1 - Written(beta1)), rest2 = Tracked.RoundedOnce(1 - Written(beta2));
        var delta = new Tracked[g.Length];
        for (int i = 0; i < g.Length; i++)
        {
            var d = decoupled ? g[i] : L2(g[i], theta[i], weightDecay, decays, i);
            m[i] = m[i] * beta1 + d * rest1;
            v[i] = v[i] * beta2 + d * rest2 * d;
            var denominator = Tracked.Sqrt(v[i]) / correction2Root + eps;
            delta[i] = -stepSize * (m[i] / denominator);
            if (decoupled && weightDecay != 0 && (decays is null || decays[i]))
                delta[i] = delta[i] - LearningRate * (theta[i] * weightDecay);
        }
        return delta;
    }
}

/// <summary>
/// <c>torch.nn.utils.clip_grad_norm_</c> before an optimizer's step: g·min(1, c / (‖g‖ + 10⁻⁶)). The norm is of the
/// exact input gradient (clipping comes first), summed in double as the library sums it; its coefficient is rounded
/// once to float.
/// </summary>
internal sealed class NaiveClipped(float maxNorm, NaiveOptimizer inner) : NaiveOptimizer
{
    /// <summary>How many steps were clipped, so a test can tell "clipping" and "not clipping" cases really are.</summary>
    public int Clipped { get; private set; }

    protected override Tracked[] Direction(Tracked[] theta, Tracked[] g)
    {
        double norm = Math.Sqrt(g.Sum(x => x.Value * x.Value));
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
        {
            Clipped++;
            var c = Tracked.RoundedOnce(coefficient);
            g = [.. g.Select(x => x * c)];
        }
        var delta = inner.Step(theta, g);
        foreach (var (name, block) in inner.Blocks) Blocks[name] = block;
        return delta;
    }
}

/// <summary>
/// <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c> (mode "min", threshold mode "rel") driving an optimizer's
/// learning rate, as PyTorch's <c>step(metrics)</c> writes it.
/// </summary>
internal sealed class NaivePlateau(NaiveOptimizer optimizer, double factor, int patience, double threshold, int cooldown, double minLr)
{
    public double Best { get; private set; } = double.PositiveInfinity;
    public int BadEpochs { get; private set; }
    public int CooldownCounter { get; private set; }
    public int Reductions { get; private set; }

    public void Step(double metric)
    {
        if (metric < Best * (1 - threshold))
        {
            Best = metric;
            BadEpochs = 0;
        }
        else BadEpochs++;
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            BadEpochs = 0;
        }
        if (BadEpochs > patience)
        {
            double old = optimizer.LearningRate.Value, next = Math.Max(old * factor, minLr);
            if (old - next > 1e-8)
            {
                optimizer.LearningRate = Tracked.RoundedOnce(next);
                Reductions++;
            }
            CooldownCounter = cooldown;
            BadEpochs = 0;
        }
    }
}

/// <summary>The documented reading of a float hyperparameter: the shortest decimal that round-trips to it (0.999f → 0.999).</summary>
internal static class WrittenAs
{
    public static double Written(float value) => double.Parse(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
}
