// The lecture's babysitting step 3: a fresh network's loss, regularisation off, against what it should be; then the loss as L2 is turned up.
using Functional.Data;

namespace Functional.Training;

/// <summary>One row of the L2 table: the same batch's loss under strength λ.</summary>
public readonly record struct L2Row(float Lambda, double DataLoss, double Penalty)
{
    /// <summary>What training would minimise: data loss plus ½λ‖W‖².</summary>
    public double Total => DataLoss + Penalty;
}

/// <summary>
/// The initial-loss check's findings. <paramref name="ScoreStd"/> σ is the pooled within-row standard deviation of the
/// initial scores; <paramref name="AtScoreStd"/> is a Monte-Carlo estimate of the loss if the scores were independent
/// N(0, σ²) per class, computed with the network's own loss (for the hinge it confirms the closed form; for softmax it
/// shows how far above ln C scores of that size put the loss).
/// </summary>
public sealed record InitialLossReport(
    string Network, LossKind Loss, int Classes, int Count, double ScoreStd,
    double Expected, string ExpectedFormula, double Measured, double AtScoreStd, double Tolerance,
    IReadOnlyList<L2Row> L2Table, bool L2Increasing, CheckOutcome Outcome)
{
    /// <summary>(measured − expected) / expected.</summary>
    public double RelativeError => (Measured - Expected) / Expected;

    /// <summary>Whether the relative error is within <see cref="Tolerance"/>.</summary>
    public bool WithinTolerance => Math.Abs(RelativeError) <= Tolerance;
}

/// <summary>
/// Step 3 of babysitting: is the initial loss what the loss function and the initialisation predict? For softmax
/// cross-entropy with small initial scores every class gets probability ≈ 1/C, so the loss is ln C. For the multiclass
/// hinge, a row whose scores are independent with spread σ has C − 1 margins s_j − s_y + 1 ~ N(1, 2σ²), and
/// E[max(0, X)] for X ~ N(m, s²) is m·Φ(m/s) + s·φ(m/s); so E[L] = (C − 1)·(Φ(1/s) + s·φ(1/s)) with s = σ√2. σ is derived
/// per row from the init: σ² = mean(W²)·‖h‖² for the scoring layer's weights W and the row's input h to it. This tends
/// to C − 1 only as σ → 0; at the declared init σ ≈ 1 and the loss is well above C − 1.
/// </summary>
public static class InitialLossCheck
{
    /// <summary>The lecture's sweep of L2 strengths.</summary>
    public static IReadOnlyList<float> DefaultStrengths { get; } = [0f, 1e-3f, 1e-2f, 1e-1f, 1f];

    /// <summary>
    /// Softmax, 10 %: on a batch of ~1,000 rows the mean loss's sampling error is well under 1 %, so a miss of this size is
    /// the initialisation, not noise — yet a net whose initial scores have σ ≈ 0.5 (loss ≈ ln C + σ²/2) still passes.
    /// </summary>
    public const double SoftmaxTolerance = 0.10;

    /// <summary>
    /// Hinge, 20 %: the expectation is over the scoring layer's random weights, and one draw scatters about it with a
    /// standard deviation near 8 % for 10 classes (measured over 12 seeds on the subset: 9.04 … 12.05 about a mean of 10.48),
    /// because the C class offsets w_j·mean(h) are few; 20 % is about 2.4 of those deviations.
    /// </summary>
    public const double HingeTolerance = 0.20;

    /// <summary>
    /// Measures <paramref name="model"/>'s data loss on all of <paramref name="data"/> (one batch, L2 off), compares it
    /// with the expectation, and evaluates the same batch with each L2 strength in <paramref name="strengths"/>.
    /// The model is not changed (running statistics are advanced on a copy).
    /// </summary>
    public static InitialLossReport Run<TNet>(TNet model, Dataset data, IReadOnlyList<float>? strengths = null, double? tolerance = null, long seed = 0)
        where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: there is no loss to measure", nameof(data));
        strengths ??= DefaultStrengths;
        var loss = Babysitting.LossOf<TNet>();
        int classes = TNet.ClassCount;
        var batch = Babysitting.Whole(data);
        var workspace = TNet.CreateWorkspace(batch.Count);
        var gradient = new float[TNet.ParameterCount];

        // The training-mode loss (what the first step would see), on a copy of the buffers so the model stays as it was.
        BatchResult At(float lambda) =>
            TNet.ComputeGradient(model.Parameters.Span, model.Buffers.ToArray(), batch, new StepOptions(lambda, seed, model.Hyperparameters), gradient, workspace);

        double measured = At(0f).DataLoss;
        var table = strengths.Select(lambda => { var r = At(lambda); return new L2Row(lambda, r.DataLoss, r.Penalty); }).ToList();
        bool increasing = table.Zip(table.Skip(1), (a, b) => b.Lambda > a.Lambda ? b.Total > a.Total : b.Total >= a.Total).All(ok => ok);

        double sigma = ScoreStd(model, data);
        var (expected, formula) = loss switch
        {
            LossKind.SoftmaxCrossEntropy => (Math.Log(classes), $"ln {classes}"),
            _ => (ExpectedHingeAtInit(model, data),
                  "(C−1)·mean over rows of Φ(1/s) + s·φ(1/s), s = √2·rms(W_scores)·‖h‖, h the row's input to the scoring layer"),
        };
        double atSigma = GaussianScoreLoss<TNet>(sigma, seed);
        var report = new InitialLossReport(typeof(TNet).Name, loss, classes, data.Count, sigma, expected, formula, measured, atSigma,
                                           tolerance ?? (loss == LossKind.Hinge ? HingeTolerance : SoftmaxTolerance), table, increasing, CheckOutcome.Pass);
        return report with { Outcome = !increasing ? CheckOutcome.Fail : report.WithinTolerance ? CheckOutcome.Pass : CheckOutcome.Warn };
    }

    /// <summary>E[Σ_{j≠y} max(0, s_j − s_y + 1)] for C classes whose scores are independent with standard deviation σ.</summary>
    public static double ExpectedHinge(int classes, double sigma)
    {
        if (sigma <= 0) return classes - 1;
        double s = sigma * Math.Sqrt(2);
        return (classes - 1) * (Phi(1 / s) + s * StandardNormalDensity(1 / s));
    }

    /// <summary>
    /// The hinge's expectation over the scoring layer's random weights, given what reaches it: with W's entries independent,
    /// mean 0 and mean square q, a row whose input to the scoring layer is h has scores s_j = w_j·h (bias 0 at init),
    /// independent across classes with σ² = q‖h‖²; averaged over the rows, as σ differs from row to row (pooling σ first
    /// overestimates: for large σ the expectation is nearly linear in σ and the pooled RMS exceeds the mean, by Jensen).
    /// </summary>
    private static double ExpectedHingeAtInit<TNet>(TNet model, Dataset data) where TNet : class, INetwork<TNet>
    {
        // An inference forward of its own leaves every hidden layer's output in the workspace (a backward may reuse them).
        var workspace = TNet.CreateWorkspace(data.Count);
        TNet.Infer(model.Parameters.Span, model.Buffers.Span, data.Features, data.Count, new float[data.Count * TNet.ClassCount], workspace, model.Hyperparameters);
        var layers = TNet.Layout.Layers;
        var scoring = layers[^1];
        var w = model.Parameters.Span.Slice(scoring.WeightsOffset, scoring.WeightCount);
        double q = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(w) / w.Length;
        int n = data.Count, width = scoring.Inputs;
        var inputs = layers.Count == 1 ? data.Features : TNet.LayerOutput(workspace, layers.Count - 2, n);
        double total = 0;
        for (int row = 0; row < n; row++)
        {
            double norm2 = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(inputs.Slice(row * width, width));
            total += ExpectedHinge(TNet.ClassCount, Math.Sqrt(q * norm2));
        }
        return total / n;
    }

    /// <summary>
    /// The pooled within-row standard deviation of the inference scores: √(mean over rows of the row's sample variance).
    /// Within a row is what matters, since the loss depends on score differences only.
    /// </summary>
    public static double ScoreStd<TNet>(TNet model, Dataset data) where TNet : class, INetwork<TNet>
    {
        int classes = TNet.ClassCount, n = data.Count;
        var scores = new float[n * classes];
        TNet.Infer(model.Parameters.Span, model.Buffers.Span, data.Features, n, scores, TNet.CreateWorkspace(n), model.Hyperparameters);
        double variance = 0;
        for (int row = 0; row < n; row++)
        {
            var s = scores.AsSpan(row * classes, classes);
            double mean = 0, squares = 0;
            foreach (float v in s) mean += v;
            mean /= classes;
            foreach (float v in s) squares += (v - mean) * (v - mean);
            variance += squares / (classes - 1);
        }
        return Math.Sqrt(variance / n);
    }

    /// <summary>The network's own loss on independent N(0, σ²) scores (4,096 rows, label 0: by symmetry any label would do).</summary>
    private static double GaussianScoreLoss<TNet>(double sigma, long seed) where TNet : class, INetwork<TNet>
    {
        const int Rows = 4096;
        int classes = TNet.ClassCount;
        var random = new SeededRandom(seed ^ 0x5EED);
        var scores = new float[Rows * classes];
        for (int i = 0; i < scores.Length; i++) scores[i] = (float)(sigma * random.NextGaussian());
        return TNet.ScoreLoss(scores, new int[Rows], Rows).Loss;
    }

    private static double StandardNormalDensity(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>Φ(x) = ½·erfc(−x/√2).</summary>
    private static double Phi(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>erfc by Numerical Recipes' Chebyshev fit (relative error below 1.2e-7 everywhere): .NET has no erf.</summary>
    private static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                   t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
