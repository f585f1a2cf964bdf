// Inference over a whole data set: predictions, accuracy and mean loss, in fixed-size batches.
using Functional.Data;

namespace Functional.Training;

/// <summary>Loss and accuracy of a model over a data set.</summary>
public readonly record struct Evaluation(double Loss, double Accuracy, int Count);

/// <summary>Runs the inference forward over data sets.</summary>
public static class Evaluate
{
    private const int Chunk = 256;

    /// <summary>Mean data loss (no penalty) and accuracy of <paramref name="model"/> on <paramref name="data"/>.</summary>
    public static Evaluation On<TNet>(TNet model, Dataset data) where TNet : class, INetwork<TNet>
    {
        CheckShape<TNet>(data);
        var parameters = model.Parameters.Span;
        var buffers = model.Buffers.Span;
        var workspace = TNet.CreateWorkspace(Chunk);
        var scores = new float[Chunk * TNet.ClassCount];
        double loss = 0;
        long correct = 0;
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int n = Math.Min(Chunk, data.Count - start);
            TNet.Infer(parameters, buffers, data.Features.Slice(start * data.FeatureCount, n * data.FeatureCount), n, scores, workspace, model.Hyperparameters);
            var r = TNet.ScoreLoss(scores.AsSpan(0, n * TNet.ClassCount), data.Labels.Slice(start, n), n);
            loss += (double)r.Loss * n;
            correct += r.Correct;
        }
        // Finite parameters can still overflow the scores (a model from a diverging run, saved before it went NaN).
        if (!double.IsFinite(loss))
            throw new ArgumentException($"{typeof(TNet).Name} on {data.Name}: the loss is {loss}: the model's scores overflow (did training diverge?)", nameof(model));
        return new Evaluation(loss / data.Count, (double)correct / data.Count, data.Count);
    }

    /// <summary>Fraction of <paramref name="data"/> whose highest score is the true class.</summary>
    public static double Accuracy<TNet>(TNet model, Dataset data) where TNet : class, INetwork<TNet> => On(model, data).Accuracy;

    /// <summary>The predicted class of one sample.</summary>
    public static int Predict<TNet>(TNet model, ReadOnlySpan<float> features) where TNet : class, INetwork<TNet>
    {
        if (features.Length != TNet.InputCount)
            throw new ArgumentException($"{typeof(TNet).Name} takes {TNet.InputCount} inputs, got {features.Length}", nameof(features));
        if (Finite.IndexOfNonFinite(features) is var bad and >= 0)
            throw new ArgumentException($"feature {bad} is {features[bad]}; {typeof(TNet).Name} predicts from finite features only", nameof(features));
        var scores = new float[TNet.ClassCount];
        TNet.Infer(model.Parameters.Span, model.Buffers.Span, features, 1, scores, TNet.CreateWorkspace(1), model.Hyperparameters);
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(scores);
    }

    private static void CheckShape<TNet>(Dataset data) where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: there is nothing to evaluate", nameof(data));
        if (data.FeatureCount != TNet.InputCount)
            throw new ArgumentException($"{typeof(TNet).Name} takes {TNet.InputCount} inputs but {data.Name} has {data.FeatureCount} features", nameof(data));
        if (data.ClassCount > TNet.ClassCount)
            throw new ArgumentException($"{typeof(TNet).Name} scores {TNet.ClassCount} classes but {data.Name} has {data.ClassCount}", nameof(data));
    }
}
