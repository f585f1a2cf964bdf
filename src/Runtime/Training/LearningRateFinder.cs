// The lecture's babysitting step 5, as Leslie Smith's range test: raise the learning rate exponentially step by step and watch where the loss falls and where it explodes.
using Functional.Data;
using Functional.Optimizers;

namespace Functional.Training;

/// <summary>
/// Settings of a learning-rate range test. <see cref="Smoothing"/> is β of the exponential moving average; it lags about
/// β/(1 − β) steps: 0.9 keeps the lag near 9 steps (0.2 decades at the default 300 steps over 7 decades) while dividing a
/// batch loss's noise variance by 19. The test stops once the smoothed loss exceeds <see cref="DivergeFactor"/> × its
/// minimum (fastai's 4).
/// </summary>
public sealed record LrFinderOptions(
    double MinLearningRate = 1e-6, double MaxLearningRate = 10, int Steps = 300, int BatchSize = 64,
    double Smoothing = 0.9, double DivergeFactor = 4, int Seed = 1);

/// <summary>One step of the test: its learning rate, the batch loss it saw, and the bias-corrected moving average.</summary>
public readonly record struct LrPoint(double LearningRate, double Loss, double Smoothed);

/// <summary>A range of learning rates, both ends included.</summary>
public readonly record struct LrRange(double From, double To)
{
    /// <summary>Whether <paramref name="lr"/> lies in the range, both ends included.</summary>
    public bool Contains(double lr) => lr >= From && lr <= To;
    /// <summary>"from … to", three significant digits each.</summary>
    public override string ToString() => $"{From:G3} … {To:G3}";
}

/// <summary>
/// What the range test saw. <paramref name="TooLow"/>: the loss has not yet made 10 % of the fall it will make.
/// <paramref name="Steepest"/>: the learning rate of the fastest fall of the smoothed loss per decade.
/// <paramref name="AtMinimum"/>: where the smoothed loss is least. <paramref name="TooHigh"/>: past the minimum, from where
/// the smoothed loss has given back half of its fall (or where the test stopped, if sooner) to the end: null if it never
/// turned up. <paramref name="Suggested"/>: the range to search (see <see cref="LearningRateFinder"/> for the rule).
/// </summary>
public sealed record LrFinderReport(
    string Network, IReadOnlyList<LrPoint> Points, double StartLoss, double MinimumLoss,
    LrRange TooLow, double Steepest, double AtMinimum, LrRange? TooHigh, LrRange Suggested, string StopReason);

/// <summary>
/// The range test: a fresh model, one batch per step, the learning rate lr_k = min·(max/min)^(k/(steps−1)); the optimizer's
/// state (momentum) carries over from step to step, only its learning rate changes. The test stops at the last step, when
/// the smoothed loss exceeds <see cref="LrFinderOptions.DivergeFactor"/> × its minimum, or when training diverges
/// (<see cref="TrainingDivergedException"/>: a non-finite loss is the clearest "too high" there is).
/// Suggested range, for a coarse log-space search: from the steepest-descent rate / 10 (the loss already falls well there;
/// the fall is fastest a decade higher) up to the rate at the smoothed minimum (the edge of stability: a whole run at it
/// may diverge, but a search should straddle its best value, and it kills such trials cheaply by the 3×-start rule). The
/// low end is never below the end of the too-low region. On Fashion-MNIST with momentum 0.9 this spans 2–3 decades
/// around the 0.01 the example trains with; fastai's single pick, minimum / 10, lies inside it.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>
    /// Runs the test for <typeparamref name="TNet"/> from <paramref name="model"/> on <paramref name="train"/>, with
    /// <paramref name="optimizer"/> giving the optimizer for a learning rate (e.g. <c>lr => Sgd.Momentum(lr, 0.9f)</c>).
    /// </summary>
    public static LrFinderReport Run<TNet>(TNet model, Dataset train, Func<float, Optimizer> optimizer, LrFinderOptions? options = null)
        where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(optimizer);
        var o = options ?? new LrFinderOptions();
        if (!(o.MinLearningRate > 0 && o.MaxLearningRate > o.MinLearningRate) || o.Steps < 10)
            throw new ArgumentOutOfRangeException(nameof(options), o, "the test needs 0 < min < max learning rate and at least 10 steps");

        var step = new TrainStep<TNet>(L2: 0f, Seed: o.Seed);
        var state = TrainState.Of(model, optimizer((float)o.MinLearningRate));
        var seen = new LastLoss();
        var points = new List<LrPoint>(o.Steps);
        double average = 0, minimum = double.PositiveInfinity;
        string stop = $"reached the maximum learning rate {o.MaxLearningRate:G3}";
        using var batches = Forever(train, o.BatchSize, o.Seed).GetEnumerator();
        for (int k = 0; k < o.Steps; k++)
        {
            double lr = o.MinLearningRate * Math.Pow(o.MaxLearningRate / o.MinLearningRate, (double)k / (o.Steps - 1));
            batches.MoveNext();
            try
            {
                // The fold owns its optimizer; a one-batch fold per step with a new learning rate is the plain way to vary it.
                state = new[] { batches.Current }.Fold(state with { Optimizer = optimizer((float)lr) }, step, seen);
            }
            catch (TrainingDivergedException e)
            {
                stop = $"diverged at learning rate {lr:G3} (loss {e.Loss})";
                break;
            }
            average = o.Smoothing * average + (1 - o.Smoothing) * seen.Loss;
            double smoothed = average / (1 - Math.Pow(o.Smoothing, k + 1));
            points.Add(new LrPoint(lr, seen.Loss, smoothed));
            if (!double.IsFinite(smoothed))
            {
                stop = $"the loss went non-finite at learning rate {lr:G3}";
                break;
            }
            minimum = Math.Min(minimum, smoothed);
            if (smoothed > o.DivergeFactor * minimum)
            {
                stop = $"the smoothed loss passed {o.DivergeFactor}× its minimum at learning rate {lr:G3}";
                break;
            }
        }
        if (points.Count < 3) throw new InvalidOperationException($"the range test {stop} after {points.Count} steps: start from a lower --min-lr");
        return Classify(typeof(TNet).Name, points, stop, stoppedEarly: points.Count < o.Steps || !stop.StartsWith("reached", StringComparison.Ordinal));
    }

    /// <summary>Reads the regions and the suggestion off the curve (the rules are in the type's and the report's summaries).</summary>
    public static LrFinderReport Classify(string network, IReadOnlyList<LrPoint> points, string stopReason, bool stoppedEarly)
    {
        int n = points.Count;
        double start = points.Take(Math.Min(10, n)).Average(p => p.Loss);
        int atMin = 0;
        for (int k = 1; k < n; k++) if (points[k].Smoothed < points[atMin].Smoothed) atMin = k;
        double least = points[atMin].Smoothed, fall = Math.Max(0, start - least);

        int lowEnd = 0;
        for (int k = 0; k <= atMin; k++) if (points[k].Smoothed >= start - 0.1 * fall) lowEnd = k;

        // Slope per decade over a window of ±w steps, so one noisy batch cannot make the steepest point.
        int w = Math.Max(1, n / 60), steepest = Math.Min(lowEnd + 1, atMin);
        double best = double.PositiveInfinity;
        for (int k = Math.Max(lowEnd, w); k <= Math.Min(atMin, n - 1 - w); k++)
        {
            double slope = (points[k + w].Smoothed - points[k - w].Smoothed) /
                           (Math.Log10(points[k + w].LearningRate) - Math.Log10(points[k - w].LearningRate));
            if (slope < best) (best, steepest) = (slope, k);
        }

        int highStart = -1;
        for (int k = atMin + 1; k < n && highStart < 0; k++) if (points[k].Smoothed > least + 0.5 * fall) highStart = k;
        if (highStart < 0 && stoppedEarly) highStart = n - 1;
        LrRange? tooHigh = highStart < 0 ? null : new LrRange(points[highStart].LearningRate, points[n - 1].LearningRate);

        var tooLow = new LrRange(points[0].LearningRate, points[lowEnd].LearningRate);
        double hi = points[atMin].LearningRate, lo = Math.Max(points[steepest].LearningRate / 10, tooLow.To);
        if (lo >= hi) lo = hi / 10;
        return new LrFinderReport(network, points, start, least, tooLow, points[steepest].LearningRate, points[atMin].LearningRate, tooHigh, new LrRange(lo, hi), stopReason);
    }

    /// <summary>Epoch after epoch of shuffled batches (a new order each epoch).</summary>
    private static IEnumerable<Batch> Forever(Dataset data, int size, int seed)
    {
        for (int epoch = 0; ; epoch++)
            foreach (var batch in data.Batches(size, seed * 1_000_003 + epoch)) yield return batch;
    }

    private sealed class LastLoss : IStepObserver
    {
        public double Loss { get; private set; }
        public Verdict OnStep(in StepReport report) { Loss = report.Loss; return Verdict.Continue; }
    }
}
