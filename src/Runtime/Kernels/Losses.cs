// Losses over a batch of scores: mean loss, its gradient with respect to the scores, and the count of correct argmaxes.
using System.Numerics.Tensors;

namespace Functional.Kernels;

/// <summary>Loss value, and how many rows' highest score was the true class.</summary>
public readonly record struct LossResult(float Loss, int Correct);

/// <summary>Softmax cross-entropy: L = mean_b [log Σ_j e^{s_j} − s_y]; ∂L/∂s = (softmax(s) − onehot(y)) / B.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class SoftmaxCrossEntropy
{
    /// <summary>Mean loss and correct count of scores [batch, classes]; writes ∂L/∂s into <c>dScores</c> (same shape). Shapes are checked.</summary>
    public static LossResult LossAndGradient(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int batch, int classes, Span<float> dScores)
    {
        Shapes.Check(scores, labels, batch, classes, dScores);
        fixed (float* s = scores, d = dScores)
        fixed (int* y = labels)
            return LossAndGradient(s, y, batch, classes, d);
    }

    /// <summary>The same over raw pointers, without shape checks. Used by generated network code; not meant to be called directly.</summary>
    public static LossResult LossAndGradient(float* scores, int* labels, int batch, int classes, float* dScores)
    {
        double total = 0;
        int correct = 0;
        float scale = 1f / batch;
        for (int row = 0; row < batch; row++)
        {
            var s = new ReadOnlySpan<float>(scores + (nint)row * classes, classes);
            var d = new Span<float>(dScores + (nint)row * classes, classes);
            int label = labels[row];
            int best = TensorPrimitives.IndexOfMax(s);
            if (best == label) correct++;
            // Shift by the max so exp never overflows; the softmax is unchanged.
            float max = s[best];
            TensorPrimitives.Subtract(s, max, d);
            TensorPrimitives.Exp(d, d);
            float sum = TensorPrimitives.Sum<float>(d);
            total += MathF.Log(sum) - (s[label] - max);
            TensorPrimitives.Multiply(d, scale / sum, d);
            d[label] -= scale;
        }
        return new LossResult((float)(total / batch), correct);
    }

    /// <summary>Loss only, for evaluation (no gradient written).</summary>
    public static LossResult Loss(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int batch, int classes)
    {
        double total = 0;
        int correct = 0;
        for (int row = 0; row < batch; row++)
        {
            var s = scores.Slice(row * classes, classes);
            int best = TensorPrimitives.IndexOfMax(s);
            if (best == labels[row]) correct++;
            float max = s[best];
            double sum = 0;
            foreach (var v in s) sum += Math.Exp(v - max);
            total += Math.Log(sum) - (s[labels[row]] - max);
        }
        return new LossResult((float)(total / batch), correct);
    }
}

/// <summary>Multiclass SVM hinge (Weston–Watkins, margin 1): L = mean_b Σ_{j≠y} max(0, s_j − s_y + 1).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static unsafe class Hinge
{
    /// <summary>Mean loss and correct count of scores [batch, classes]; writes ∂L/∂s into <c>dScores</c> (same shape). Shapes are checked.</summary>
    public static LossResult LossAndGradient(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int batch, int classes, Span<float> dScores)
    {
        Shapes.Check(scores, labels, batch, classes, dScores);
        fixed (float* s = scores, d = dScores)
        fixed (int* y = labels)
            return LossAndGradient(s, y, batch, classes, d);
    }

    /// <summary>The same over raw pointers, without shape checks. Used by generated network code; not meant to be called directly.</summary>
    public static LossResult LossAndGradient(float* scores, int* labels, int batch, int classes, float* dScores)
    {
        double total = 0;
        int correct = 0;
        float scale = 1f / batch;
        for (int row = 0; row < batch; row++)
        {
            float* s = scores + (nint)row * classes;
            float* d = dScores + (nint)row * classes;
            int label = labels[row];
            if (TensorPrimitives.IndexOfMax(new ReadOnlySpan<float>(s, classes)) == label) correct++;
            float target = s[label];
            int violated = 0;
            for (int j = 0; j < classes; j++)
            {
                float margin = s[j] - target + 1f;
                if (j != label && margin > 0f)
                {
                    total += margin;
                    d[j] = scale;
                    violated++;
                }
                else d[j] = 0f;
            }
            // Each violated margin pushes the true score up by one unit.
            d[label] = -violated * scale;
        }
        return new LossResult((float)(total / batch), correct);
    }

    /// <summary>Loss only, for evaluation (no gradient written).</summary>
    public static LossResult Loss(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int batch, int classes)
    {
        double total = 0;
        int correct = 0;
        for (int row = 0; row < batch; row++)
        {
            var s = scores.Slice(row * classes, classes);
            int label = labels[row];
            if (TensorPrimitives.IndexOfMax(s) == label) correct++;
            for (int j = 0; j < classes; j++)
                if (j != label) total += Math.Max(0f, s[j] - s[label] + 1f);
        }
        return new LossResult((float)(total / batch), correct);
    }
}

internal static class Shapes
{
    public static void Check(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int batch, int classes, ReadOnlySpan<float> dScores)
    {
        if (scores.Length < batch * classes || dScores.Length < batch * classes || labels.Length < batch)
            throw new ArgumentException($"a batch of {batch} × {classes} scores needs {batch * classes} scores, gradients and {batch} labels; got {scores.Length}, {dScores.Length} and {labels.Length}");
        for (int i = 0; i < batch; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"label {labels[i]} in row {i} is outside 0..{classes - 1}", nameof(labels));
    }
}

/// <summary>
/// L2 weight penalty ½λ‖W‖² (weights only; biases are not penalised). Its gradient λW is added by
/// <see cref="Gemm.WeightGradient(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, float, Optimizers.FusedUpdate)"/>,
/// before a fused optimizer uses the gradient.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class L2Penalty
{
    /// <summary>½λ‖W‖², measured before the step changes W.</summary>
    public static float Value(ReadOnlySpan<float> weights, float lambda)
        => lambda == 0f ? 0f : 0.5f * lambda * TensorPrimitives.SumOfSquares(weights);
}
