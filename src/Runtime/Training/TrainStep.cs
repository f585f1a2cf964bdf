// The training step (sample → forward → backprop → update) and the pure fold that runs it over batches.
using System.Diagnostics.Contracts;
using Functional.Data;

namespace Functional.Training;

/// <summary>
/// step : (state, batch) → state for network <typeparamref name="TNet"/>, with the loss's L2 strength as a
/// value (never compiled into the kernels). <see cref="Invoke"/> is the pure single step;
/// <see cref="TrainingLoop.Fold"/> runs many with buffers it owns, with the same result bit for bit.
/// </summary>
public sealed record TrainStep<TNet>(float L2 = 0f, long Seed = 0) where TNet : class, INetwork<TNet>
{
    /// <summary>The L2 strength λ of ½λ‖W‖²: a finite number ≥ 0, checked by the constructor and by every <c>with</c>.</summary>
    public float L2 { get; init => field = CheckL2(value); } = CheckL2(L2);

    /// <summary>The same step with L2 regularisation ½λ‖W‖² added to the loss.</summary>
    public TrainStep<TNet> WithL2(float lambda) => this with { L2 = lambda };

    private static float CheckL2(float lambda) =>
        lambda >= 0 && float.IsFinite(lambda) ? lambda
            : throw new ArgumentOutOfRangeException(nameof(L2), lambda, $"L2 strength must be a finite number ≥ 0, got {lambda}");

    /// <summary>The same step with dropout masks drawn from <paramref name="seed"/> (each step's masks mix it with the step number).</summary>
    public TrainStep<TNet> WithSeed(long seed) => this with { Seed = seed };

    /// <summary>One step on one batch: a new state; <paramref name="state"/> is left as it was.</summary>
    [Pure]
    public TrainState<TNet> Invoke(TrainState<TNet> state, Batch batch) => TrainingLoop.Fold([batch], state, this);
}

/// <summary>Runs training steps over a sequence of batches.</summary>
public static class TrainingLoop
{
    /// <summary>How often (in steps) the fold scans the parameters for NaN and ∞ besides checking every loss: a scan costs about 1/50 of a step.</summary>
    public const int ParameterCheckInterval = 50;

    /// <summary>
    /// Folds <paramref name="step"/> over <paramref name="batches"/>, starting from <paramref name="state"/>.
    /// Pure at its boundary: the input state is copied once, the copy is advanced in place (no allocation per
    /// step), and only the final copy escapes, inside the returned state. <paramref name="observer"/> sees every step
    /// and may end the fold early (<see cref="Verdict.Stop"/>); a non-finite loss or parameter ends it with a
    /// <see cref="TrainingDivergedException"/>.
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
        long count = state.StepCount;
        int statisticsEvery = Math.Max(0, observer?.LayerStatisticsEvery ?? 0);
        var probe = statisticsEvery > 0 ? new LayerProbe(TNet.Layout) : null;
        foreach (var batch in batches)
        {
            if (batch.Source.FeatureCount != TNet.InputCount)
                throw new ArgumentException($"{typeof(TNet).Name} takes {TNet.InputCount} inputs but batch rows of {batch.Source.Name} have {batch.Source.FeatureCount}", nameof(batches));
            if (batch.Source.ClassCount > TNet.ClassCount)
                throw new ArgumentException($"{typeof(TNet).Name} scores {TNet.ClassCount} classes but {batch.Source.Name} has {batch.Source.ClassCount} " +
                                            $"(labels 0..{batch.Source.ClassCount - 1}); declare the scoring layer with {batch.Source.ClassCount} units", nameof(batches));
            if (batch.Count == 0) continue;
            if (workspace is null || workspace.MaxBatch < batch.Count) workspace = TNet.CreateWorkspace(batch.Count);
            var options = new StepOptions(step.L2, Kernels.Dropout.Mix(step.Seed, count), state.Model.Hyperparameters);
            // A statistics step takes the unfused path, which ends bit for bit where the fused one would, so watching
            // training never changes it; it keeps W from before the step and the whole gradient for the figures.
            bool measured = probe is not null && (count + 1) % statisticsEvery == 0;
            BatchResult result;
            // An elementwise optimizer rides inside backward (each tensor updated once its gradient is complete); one
            // that needs the whole gradient (clipping by its norm) gets it written first.
            if (!measured && state.Optimizer.TryFuse(parameters, optimizerState, out var update))
                result = TNet.TrainInPlace(update, buffers, batch, options, gradient, workspace);
            else
            {
                if (measured) parameters.CopyTo(probe!.Before, 0);
                result = TNet.ComputeGradient(parameters, buffers, batch, options, gradient, workspace);
                state.Optimizer.ApplyInPlace(parameters, gradient, optimizerState);
            }
            count++;
            // The divergence guard: a non-finite loss is noticed at once; a non-finite parameter that the activations
            // hide from the loss (max(NaN, 0) may be 0) within ParameterCheckInterval steps, and before anything escapes.
            if (!float.IsFinite(result.Loss) || (count - state.StepCount) % ParameterCheckInterval == 0 && !Finite.AllFinite(parameters))
                throw TrainingDivergedException.At<TNet>(count, result.Loss, parameters, buffers, state.Optimizer.CurrentLearningRate(optimizerState));
            if (observer is null) continue;
            var layers = measured ? probe!.Measure<TNet>(parameters, gradient, result.Count, workspace) : null;
            // The state after this step is complete and finite: stopping here returns it.
            if (observer.OnStep(new StepReport(count, result.DataLoss, result.Penalty, result.Correct, result.Count, layers)) == Verdict.Stop) break;
        }
        if (!Finite.AllFinite(parameters) || !Finite.AllFinite(buffers))
            throw TrainingDivergedException.At<TNet>(count, float.NaN, parameters, buffers, state.Optimizer.CurrentLearningRate(optimizerState));
        return state with { Model = TNet.FromParameters(parameters, buffers, state.Model.Hyperparameters), OptimizerState = optimizerState, StepCount = count };
    }
}
