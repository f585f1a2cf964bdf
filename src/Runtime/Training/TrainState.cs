// The value a training fold threads through: model, optimizer and its state, and the step count.
using Functional.Optimizers;

namespace Functional.Training;

/// <summary>
/// Everything training changes, as one immutable value. A step or fold returns a new one; a state you
/// hold never changes (its parameters and optimizer state are never written after it is returned).
/// </summary>
public sealed record TrainState<TNet>(TNet Model, Optimizer Optimizer, OptimizerState OptimizerState, long StepCount)
    where TNet : class, INetwork<TNet>
{
    /// <summary>The learning rate the next step will use (its schedule's value now, times any plateau scale); null for an optimizer without one.</summary>
    public float? LearningRate => Optimizer.CurrentLearningRate(OptimizerState);

    /// <summary>
    /// This state after a validation <paramref name="metric"/> (lower is better, e.g. the validation loss) was measured at
    /// the end of an epoch: what drives a <see cref="ReduceOnPlateau"/> in the optimizer; nothing else changes.
    /// </summary>
    public TrainState<TNet> Observe(double metric) => this with { OptimizerState = Optimizer.Observe(OptimizerState, metric) };
}

/// <summary>Constructors for <see cref="TrainState{TNet}"/>.</summary>
public static class TrainState
{
    /// <summary>The state before the first step: <paramref name="model"/> with a fresh optimizer state.</summary>
    public static TrainState<TNet> Of<TNet>(TNet model, Optimizer optimizer) where TNet : class, INetwork<TNet>
        => new(model, optimizer, optimizer.Init(TNet.Layout), 0);
}
