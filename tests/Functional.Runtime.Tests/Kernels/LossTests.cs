// Losses against the double-precision references: values, gradients by centered differences, correct counts, and the L2 penalty.
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

public sealed unsafe class LossTests(ITestOutputHelper output)
{
    public enum Kind { SoftmaxCrossEntropy, Hinge }

    private delegate LossResult Fused(float* scores, int* labels, int batch, int classes, float* dScores);

    private static Fused FusedOf(Kind kind) => kind == Kind.Hinge ? Hinge.LossAndGradient : SoftmaxCrossEntropy.LossAndGradient;

    private static LossResult Evaluate(Kind kind, float[] scores, int[] labels, int batch, int classes)
        => kind == Kind.Hinge ? Hinge.Loss(scores, labels, batch, classes) : SoftmaxCrossEntropy.Loss(scores, labels, batch, classes);

    private static double ReferenceLoss(Kind kind, double[] scores, int[] labels, int batch, int classes)
        => kind == Kind.Hinge ? Reference.Hinge(scores, labels, batch, classes) : Reference.SoftmaxCrossEntropy(scores, labels, batch, classes);

    /// <summary>The kernel's loss and gradient, with guards around the gradient it writes.</summary>
    private static (LossResult Result, float[] Gradient) Run(Kind kind, float[] scores, int[] labels, int batch, int classes)
    {
        var gradient = new Guarded(batch * classes);
        LossResult result;
        fixed (float* s = scores)
        fixed (int* l = labels)
            result = FusedOf(kind)(s, l, batch, classes, gradient.Pointer);
        gradient.AssertGuardsIntact("dScores");
        return (result, gradient.ToArray());
    }

    /// <summary>
    /// Scores uniform in ±<paramref name="scale"/>; every other label is the row's argmax so both correct and wrong rows occur.
    /// For the hinge, rows with a margin within 0.01 of its kink are redrawn, so centered differences see one linear piece.
    /// </summary>
    private static (float[] Scores, int[] Labels) Batch(Kind kind, int batch, int classes, float scale, long seed)
    {
        var random = new SeededRandom(seed);
        var scores = new float[batch * classes];
        var labels = new int[batch];
        for (int row = 0; row < batch; row++)
        {
            var s = scores.AsSpan(row * classes, classes);
            do
            {
                for (int j = 0; j < classes; j++) s[j] = (float)((2 * random.NextDouble() - 1) * scale);
                labels[row] = row % 2 == 0 ? NaiveArgmax(s) : random.NextInt(classes);
            }
            while (kind == Kind.Hinge && NearKink(s, labels[row]));
        }
        return (scores, labels);
    }

    private static bool NearKink(ReadOnlySpan<float> s, int label)
    {
        for (int j = 0; j < s.Length; j++)
            if (j != label && Math.Abs((double)s[j] - s[label] + 1) < 0.01) return true;
        return false;
    }

    /// <summary>First index of the largest score.</summary>
    private static int NaiveArgmax(ReadOnlySpan<float> s)
    {
        int best = 0;
        for (int j = 1; j < s.Length; j++) if (s[j] > s[best]) best = j;
        return best;
    }

    private static int NaiveCorrect(float[] scores, int[] labels, int classes)
    {
        int correct = 0;
        for (int row = 0; row < labels.Length; row++)
            if (NaiveArgmax(scores.AsSpan(row * classes, classes)) == labels[row]) correct++;
        return correct;
    }

    /// <summary>∂L/∂s by centered differences of the double-precision reference.</summary>
    private static double[] NumericGradient(Kind kind, float[] scores, int[] labels, int batch, int classes, double h)
    {
        var s = Reference.Widen(scores);
        var gradient = new double[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            double saved = s[i];
            s[i] = saved + h; double plus = ReferenceLoss(kind, s, labels, batch, classes);
            s[i] = saved - h; double minus = ReferenceLoss(kind, s, labels, batch, classes);
            s[i] = saved;
            gradient[i] = (plus - minus) / (2 * h);
        }
        return gradient;
    }

    public static TheoryData<Kind, int, int, float> Cases()
    {
        var data = new TheoryData<Kind, int, int, float>();
        foreach (var kind in new[] { Kind.SoftmaxCrossEntropy, Kind.Hinge })
            foreach (int classes in new[] { 2, 3, 10 })
                foreach (var (batch, scale) in new[] { (1, 1f), (7, 1f), (7, 10f), (7, 80f), (5, 200f) })
                    data.Add(kind, classes, batch, scale);
        return data;
    }

    private static long Seed(Kind kind, int classes, int batch, float scale) => (long)kind * 1_000_000 + classes * 10_000 + batch * 1_000 + (long)scale;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_matches_the_reference_and_counts_correct_rows_like_a_naive_argmax(Kind kind, int classes, int batch, float scale)
    {
        var (scores, labels) = Batch(kind, batch, classes, scale, Seed(kind, classes, batch, scale));
        double expected = ReferenceLoss(kind, Reference.Widen(scores), labels, batch, classes);

        var (result, _) = Run(kind, scores, labels, batch, classes);

        Assert.True(float.IsFinite(result.Loss), $"{kind} loss is {result.Loss} for scores of ±{scale}");
        double tolerance = 1e-5 * (1 + Math.Abs(expected));
        Assert.True(Math.Abs(result.Loss - expected) <= tolerance,
                    $"{kind} C={classes} B={batch} ±{scale}: loss {result.Loss} vs reference {expected}, |Δ| = {Math.Abs(result.Loss - expected):E3} (tolerance {tolerance:E3})");
        Assert.Equal(NaiveCorrect(scores, labels, classes), result.Correct);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_matches_centered_differences_of_the_reference(Kind kind, int classes, int batch, float scale)
    {
        var (scores, labels) = Batch(kind, batch, classes, scale, Seed(kind, classes, batch, scale));
        var numeric = NumericGradient(kind, scores, labels, batch, classes, h: 1e-4);

        var (_, gradient) = Run(kind, scores, labels, batch, classes);

        double max = Compare.MaxDifference(gradient, numeric, out int worst);
        output.WriteLine($"GRADDIFF {kind} {max:E3}");
        const double tolerance = 2e-6;
        Assert.True(max <= tolerance,
                    $"{kind} C={classes} B={batch} ±{scale}: max |Δ| = {max:E3} at row {worst / classes}, class {worst % classes}: " +
                    $"kernel {gradient[worst]} vs numeric {numeric[worst]} (tolerance {tolerance:E3})");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_evaluation_Loss_agrees_with_LossAndGradient(Kind kind, int classes, int batch, float scale)
    {
        var (scores, labels) = Batch(kind, batch, classes, scale, Seed(kind, classes, batch, scale) + 1);

        var (fused, _) = Run(kind, scores, labels, batch, classes);
        var evaluated = Evaluate(kind, scores, labels, batch, classes);

        Assert.Equal(fused.Correct, evaluated.Correct);
        double tolerance = 1e-5 * (1 + Math.Abs(fused.Loss));
        Assert.True(Math.Abs(fused.Loss - evaluated.Loss) <= tolerance,
                    $"{kind} C={classes} B={batch} ±{scale}: Loss {evaluated.Loss} vs LossAndGradient {fused.Loss} (tolerance {tolerance:E3})");
    }

    public static TheoryData<int, float> EqualScores()
    {
        var data = new TheoryData<int, float>();
        foreach (int classes in new[] { 2, 3, 10 })
            foreach (float value in new[] { 0f, -3.5f, 80f, 1000f })
                data.Add(classes, value);
        return data;
    }

    /// <summary>With every score equal the softmax is uniform: the loss is ln C, whatever the common value.</summary>
    [Theory]
    [MemberData(nameof(EqualScores))]
    public void Softmax_cross_entropy_of_equal_scores_is_ln_C_with_a_uniform_gradient(int classes, float value)
    {
        const int batch = 4;
        var scores = Enumerable.Repeat(value, batch * classes).ToArray();
        var labels = Enumerable.Range(0, batch).Select(row => row % classes).ToArray();

        var (result, gradient) = Run(Kind.SoftmaxCrossEntropy, scores, labels, batch, classes);

        Assert.True(Math.Abs(result.Loss - Math.Log(classes)) <= 1e-6, $"loss {result.Loss}, ln {classes} = {Math.Log(classes)}");
        for (int row = 0; row < batch; row++)
            for (int j = 0; j < classes; j++)
            {
                double expected = ((1.0 / classes) - (j == labels[row] ? 1 : 0)) / batch;
                Assert.True(Math.Abs(gradient[row * classes + j] - expected) <= 1e-7, $"dScores[{row}, {j}] = {gradient[row * classes + j]}, expected {expected}");
            }
        // Ties go to the first class, as with a naive argmax.
        Assert.Equal(NaiveCorrect(scores, labels, classes), result.Correct);
    }

    /// <summary>With equal scores every wrong class violates the margin by exactly 1: the hinge loss is C − 1 per row.</summary>
    [Theory]
    [MemberData(nameof(EqualScores))]
    public void Hinge_of_equal_scores_is_C_minus_one(int classes, float value)
    {
        const int batch = 3;
        var scores = Enumerable.Repeat(value, batch * classes).ToArray();
        var labels = Enumerable.Range(0, batch).Select(row => (row + 1) % classes).ToArray();

        var (result, gradient) = Run(Kind.Hinge, scores, labels, batch, classes);

        Assert.Equal(classes - 1, result.Loss, 1e-6);
        for (int row = 0; row < batch; row++)
            for (int j = 0; j < classes; j++)
                Assert.Equal(j == labels[row] ? -(classes - 1f) / batch : 1f / batch, gradient[row * classes + j], 1e-7);
        Assert.Equal(NaiveCorrect(scores, labels, classes), result.Correct);
    }

    public static TheoryData<int, float> PenaltyCases()
    {
        var data = new TheoryData<int, float>();
        foreach (int length in new[] { 1, 7, 17, 255, 257 })
            foreach (float lambda in new[] { 0f, 1e-4f, 0.5f })
                data.Add(length, lambda);
        return data;
    }

    [Theory]
    [MemberData(nameof(PenaltyCases))]
    public void L2_penalty_is_half_lambda_norm_squared_and_leaves_the_weights_alone(int length, float lambda)
    {
        float[] weights = Fill.Uniform(length, length * 7 + 1, scale: 3f), original = (float[])weights.Clone();

        float penalty = L2Penalty.Value(weights, lambda);

        double expected = Reference.L2(Reference.Widen(weights), lambda);
        Assert.True(Math.Abs(penalty - expected) <= 1e-6 * (1 + expected), $"penalty {penalty} vs ½λ‖W‖² = {expected} (length {length}, λ = {lambda})");
        Assert.Equal(original, weights);
    }
}
