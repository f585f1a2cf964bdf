// The training step (sample → forward → backprop → update) and the pure fold that runs it over batches.
using System.Diagnostics.Contracts;
using Functional.Data;

namespace Functional.Training;

/// <summary>
/// step : (state, batch) → state for network <typeparamref name="TNet"/>, with the loss's L2 strength as a
/// value (never compiled into the kernels). <see cref="Invoke"/> is the pure single step;
/// <see cref="Training.Fold"/> runs many with buffers it owns, with the same result bit for bit.
/// </summary>
public sealed record TrainStep<TNet>(float L2 = 0f, long Seed = 0) where TNet : class, INetwork<TNet>
{
    /// <summary>The same step with L2 regularisation ½λ‖W‖² added to the loss.</summary>
    public TrainStep<TNet> WithL2(float lambda)
    {
        if (!(lambda >= 0) || !float.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "L2 strength must be a finite number ≥ 0");
        return this with { L2 = lambda };
    }

    /// <summary>The same step with dropout masks drawn from <paramref name="seed"/> (each step's masks mix it with the step number).</summary>
    public TrainStep<TNet> WithSeed(long seed) => this with { Seed = seed };

    /// <summary>One step on one batch: a new state; <paramref name="state"/> is left as it was.</summary>
    [Pure]
    public TrainState<TNet> Invoke(TrainState<TNet> state, Batch batch) => Training.Fold([batch], state, this);
}

/// <summary>Runs training steps over a sequence of batches.</summary>
public static class Training
{
    /// <summary>
    /// Folds <paramref name="step"/> over <paramref name="batches"/>, starting from <paramref name="state"/>.
    /// Pure at its boundary: the input state is copied once, the copy is advanced in place (no allocation per
    /// step), and only the final copy escapes, inside the returned state.
    /// </summary>
    [Pure]
    public static TrainState<TNet> Fold<TNet>(this IEnumerable<Batch> batches, TrainState<TNet> state, TrainStep<TNet> step, IStepObserver? observer = null)
        where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(state);
        var parameters = state.Model.Parameters.ToArray();
        var buffers = state.Model.Buffers.ToArray();
        var optimizerState = state.OptimizerState.Copy();
        var gradient = new float[TNet.ParameterCount];
        Workspace? workspace = null;
        long count = state.Step;
        // SGD and momentum ride inside backward (each tensor updated once its gradient is complete); others get the whole gradient.
        bool fused = state.Optimizer.TryFuse(parameters, optimizerState, out var update);
        foreach (var batch in batches)
        {
            if (batch.Source.FeatureCount != TNet.InputCount)
                throw new ArgumentException($"{typeof(TNet).Name} takes {TNet.InputCount} inputs but batch rows of {batch.Source.Name} have {batch.Source.FeatureCount}", nameof(batches));
            if (batch.Count == 0) continue;
            if (workspace is null || workspace.MaxBatch < batch.Count) workspace = TNet.CreateWorkspace(batch.Count);
            var options = new StepOptions(step.L2, Kernels.Dropout.Mix(step.Seed, count));
            BatchResult result;
            if (fused) result = TNet.TrainInPlace(update, buffers, batch, options, gradient, workspace);
            else
            {
                result = TNet.ComputeGradient(parameters, buffers, batch, options, gradient, workspace);
                state.Optimizer.ApplyInPlace(parameters, gradient, optimizerState);
            }
            count++;
            observer?.OnStep(new StepReport(count, result.Loss, result.Correct, result.Count));
        }
        return state with { Model = TNet.FromTrainedBlocks(parameters, buffers), OptimizerState = optimizerState, Step = count };
    }
}
