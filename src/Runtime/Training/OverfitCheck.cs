// The lecture's babysitting step 4: a network that cannot drive a tiny training set to 100 % with no regularisation has a bug.
using Functional.Data;
using Functional.Optimizers;

namespace Functional.Training;

/// <summary>One point of a training curve: the loss and accuracy a step saw (the model before that step's update).</summary>
public readonly record struct CurvePoint(long Step, float Loss, double Accuracy);

/// <summary>
/// The overfit check's findings: every step's loss and accuracy, the step whose report first met the target (its
/// forward ran on the model after Step − 1 updates), and the final model's loss and accuracy on the tiny set by the
/// inference forward, which decide the outcome. <paramref name="Diverged"/> says where training blew up, if it did.
/// </summary>
public sealed record OverfitReport(
    string Network, int Examples, int MaxSteps, double LossTarget, IReadOnlyList<CurvePoint> Curve,
    long? StepsToTarget, double FinalLoss, double FinalAccuracy, string? Diverged, CheckOutcome Outcome)
{
    /// <summary>Steps actually taken.</summary>
    public long Steps => Curve.Count == 0 ? 0 : Curve[^1].Step;
}

/// <summary>Step 4 of babysitting: overfit a tiny subset, full batch, L2 off, within a step budget.</summary>
public static class OverfitCheck
{
    /// <summary>The step budget <see cref="Run"/> uses unless told otherwise.</summary>
    public const int DefaultMaxSteps = 300;

    /// <summary>Near zero, yet reachable within the budget: softmax at 100 % needs every true-class probability ≈ 0.95.</summary>
    public const double DefaultLossTarget = 0.05;

    /// <summary>
    /// Trains <paramref name="model"/> on all of <paramref name="tiny"/> as one batch with <paramref name="optimizer"/> and
    /// no regularisation, for at most <paramref name="maxSteps"/> steps, stopping as soon as a step sees 100 % accuracy and a
    /// loss below <paramref name="lossTarget"/>. Passes when the final model is at 100 % with loss below the target.
    /// </summary>
    public static OverfitReport Run<TNet>(TNet model, Dataset tiny, Optimizer optimizer, int maxSteps = DefaultMaxSteps, double lossTarget = DefaultLossTarget, long seed = 0)
        where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tiny);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (tiny.Count == 0) throw new ArgumentException($"{tiny.Name} is empty: there is nothing to overfit", nameof(tiny));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);

        var batch = Babysitting.Whole(tiny);
        var step = new TrainStep<TNet>(L2: 0f, Seed: seed);
        var watcher = new Watcher(lossTarget);
        var state = TrainState.Of(model, optimizer);
        string? diverged = null;
        try
        {
            // The watcher stops on the report of the model before an update; the model after it is checked by inference,
            // and in the rare case it fell back out of the target, training goes on within the budget.
            while (state.StepCount < maxSteps)
            {
                state = Enumerable.Repeat(batch, (int)(maxSteps - state.StepCount)).Fold(state, step, watcher);
                if (Passes(Evaluate.On(state.Model, tiny), lossTarget)) break;
            }
        }
        catch (TrainingDivergedException e)
        {
            diverged = $"diverged at step {e.Step} (loss {e.Loss})";
        }
        var final = Evaluate.On(state.Model, tiny);
        bool passed = diverged is null && Passes(final, lossTarget);
        return new OverfitReport(typeof(TNet).Name, tiny.Count, maxSteps, lossTarget, watcher.Curve, watcher.FirstMet,
                                 final.Loss, final.Accuracy, diverged, passed ? CheckOutcome.Pass : CheckOutcome.Fail);
    }

    private static bool Passes(Evaluation e, double lossTarget) => e.Accuracy == 1.0 && e.Loss < lossTarget;

    /// <summary>Keeps the curve and stops the fold at the first step that meets the target.</summary>
    private sealed class Watcher(double lossTarget) : IStepObserver
    {
        public List<CurvePoint> Curve { get; } = [];
        public long? FirstMet { get; private set; }

        public Verdict OnStep(in StepReport report)
        {
            Curve.Add(new CurvePoint(report.Step, report.Loss, report.Accuracy));
            if (report.Correct != report.Count || !(report.Loss < lossTarget)) return Verdict.Continue;
            FirstMet ??= report.Step;
            return Verdict.Stop;
        }
    }
}
