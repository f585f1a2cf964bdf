// What a fold shows its observers after each step — losses, accuracy and, at a chosen cadence, per-layer statistics — and how an observer stops it.
namespace Functional.Training;

/// <summary>An observer's answer after a step.</summary>
public enum Verdict
{
    /// <summary>Go on with the next step.</summary>
    Continue,
    /// <summary>End the fold now: it returns the state after this step.</summary>
    Stop,
}

/// <summary>
/// Watches a fold from outside: progress bars, metrics files, early stopping, the divergence kill of a search. The fold
/// calls <see cref="OnStep"/> after every step; the report, and the layer statistics it points to, are valid during the
/// call only (the fold reuses their buffers, which keeps a step free of allocation): copy what you keep.
/// </summary>
public interface IStepObserver
{
    /// <summary>
    /// Every how many steps <see cref="StepReport.Layers"/> is filled in (0: never). Such a step computes the whole
    /// gradient before updating (instead of the fused update), then norms and activation statistics: bit for bit the
    /// same training, at a cost of roughly one extra step per report.
    /// </summary>
    int LayerStatisticsEvery => 0;

    /// <summary>Sees one step's report; <see cref="Verdict.Stop"/> ends the fold after this step.</summary>
    Verdict OnStep(in StepReport report);
}

/// <summary>
/// One step as the fold saw it: the step number (counted over the whole training), the batch's mean data loss and L2
/// penalty, how many of its rows were classified correctly, and on statistics steps each layer's figures.
/// </summary>
public readonly record struct StepReport(long Step, float DataLoss, float Penalty, int Correct, int Count, IReadOnlyList<LayerMonitor>? Layers = null)
{
    /// <summary>What the step minimised: data loss plus penalty.</summary>
    public float Loss => DataLoss + Penalty;

    /// <summary>The fraction of the batch's rows classified correctly (0 for an empty batch).</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}

/// <summary>
/// One layer after a step, by its declared name. Norms are Euclidean over the layer's weight matrix W. The lecture's
/// rule of thumb: <see cref="UpdateRatio"/> ‖ΔW‖/‖W‖ near 1e-3; far below, the learning rate is too low, far above, too
/// high. Activations are the layer's outputs on this batch (after its activation and dropout).
/// </summary>
/// <param name="Layer">The layer's declared name.</param>
/// <param name="Activation">Its declared activation.</param>
/// <param name="WeightNorm">‖W‖ before the step.</param>
/// <param name="GradientNorm">‖dW‖, the L2 term's λW included.</param>
/// <param name="UpdateNorm">‖ΔW‖, what the optimizer changed W by.</param>
/// <param name="ActivationMean">Mean of the layer's outputs on the batch.</param>
/// <param name="ActivationStd">Their standard deviation.</param>
/// <param name="DeadFraction">ReLU family (ReLU, leaky ReLU, PReLU, ELU): the share of units that were not active (output
/// ≤ 0) on any row of the batch; null for activations that cannot die.</param>
/// <param name="SaturatedFraction">Sigmoid and tanh: the share of outputs within 1 % of an asymptote (sigmoid below 0.01 or
/// above 0.99, tanh beyond ±0.99), where the gradient vanishes; null for activations that cannot saturate.</param>
public readonly record struct LayerMonitor(
    string Layer, ActivationKind Activation, double WeightNorm, double GradientNorm, double UpdateNorm,
    double ActivationMean, double ActivationStd, double? DeadFraction, double? SaturatedFraction)
{
    /// <summary>‖ΔW‖ / ‖W‖ with W before the step.</summary>
    public double UpdateRatio => WeightNorm == 0 ? double.PositiveInfinity : UpdateNorm / WeightNorm;
}

/// <summary>Observers together.</summary>
public static class Observers
{
    /// <summary>All of <paramref name="observers"/> see every step (at the most frequent statistics cadence among them); the fold stops when any says so.</summary>
    public static IStepObserver All(params IStepObserver[] observers) => new Composite(observers);

    private sealed class Composite(IStepObserver[] observers) : IStepObserver
    {
        public int LayerStatisticsEvery { get; } = Cadence(observers);

        public Verdict OnStep(in StepReport report)
        {
            var verdict = Verdict.Continue;
            foreach (var o in observers)
            {
                // An observer with a sparser cadence is shown statistics only on its own steps.
                int every = o.LayerStatisticsEvery;
                var seen = report.Layers is not null && (every == 0 || report.Step % every != 0) ? report with { Layers = null } : report;
                if (o.OnStep(seen) == Verdict.Stop) verdict = Verdict.Stop;
            }
            return verdict;
        }

        private static int Cadence(IStepObserver[] observers)
        {
            int gcd = 0;
            foreach (var o in observers)
                if (o.LayerStatisticsEvery > 0) gcd = gcd == 0 ? o.LayerStatisticsEvery : Gcd(gcd, o.LayerStatisticsEvery);
            return gcd;
        }

        private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
    }
}
