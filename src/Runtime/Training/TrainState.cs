// The value a training fold threads through: model, optimizer and its state, and the step count.
using Functional.Optimizers;

namespace Functional.Training;

/// <summary>
/// Everything training changes, as one immutable value. A step or fold returns a new one; a state you
/// hold never changes (its parameters and optimizer state are never written after it is returned).
/// </summary>
public sealed record TrainState<TNet>(TNet Model, Optimizer Optimizer, OptimizerState OptimizerState, long StepCount)
    where TNet : class, INetwork<TNet>;

/// <summary>Constructors for <see cref="TrainState{TNet}"/>.</summary>
public static class TrainState
{
    /// <summary>The state before the first step: <paramref name="model"/> with a fresh optimizer state.</summary>
    public static TrainState<TNet> Of<TNet>(TNet model, Optimizer optimizer) where TNet : class, INetwork<TNet>
        => new(model, optimizer, optimizer.Init(TNet.ParameterCount), 0);
}
