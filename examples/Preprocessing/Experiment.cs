// One training run per preprocessing: fit on the training part only, train with the same seed, report test accuracy and speed.
using System.Diagnostics;
using Functional;
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace PreprocessingExample;

/// <summary>A preprocessing to compare, and which network (by input width) trains on its output.</summary>
internal sealed record Variant(string Name, Pipeline Pipeline, bool Reduced);

/// <summary>What one run measured.</summary>
internal sealed record Outcome(string Name, string Steps, int Features, double FitSeconds, double TestAccuracy, double TestLoss,
                               int? EpochsTo85, double BestValidation, double SecondsPerEpoch, IReadOnlyList<double> ValidationCurve);

internal sealed record Settings(int Epochs, int Batch, float LearningRate, float Momentum, int Seed);

internal static class Experiment
{
    public const double Target = 0.85;

    public static Outcome Run(Variant variant, Dataset train, Dataset validation, Dataset test, Settings s, Action<string> log) =>
        variant.Reduced ? Run<PcaMlp>(variant, train, validation, test, s, log) : Run<PixelMlp>(variant, train, validation, test, s, log);

    private static Outcome Run<TNet>(Variant variant, Dataset rawTrain, Dataset rawValidation, Dataset rawTest, Settings s, Action<string> log)
        where TNet : class, INetwork<TNet>
    {
        var clock = Stopwatch.StartNew();
        // Fitted on the training part only; validation and test get the very same transform.
        var fitted = variant.Pipeline.Fit(rawTrain);
        var (train, validation, test) = fitted.Apply(rawTrain, rawValidation, rawTest);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        log($"{variant.Name}: {variant.Pipeline} fitted and applied in {fitSeconds:F1}s → {train.FeatureCount} features");

        var step = new TrainStep<TNet>().WithSeed(s.Seed);
        var state = TrainState.Of(TNet.Init(s.Seed), Sgd.Momentum(s.LearningRate, s.Momentum));
        var curve = new List<double>();
        double trainingSeconds = 0;
        for (int epoch = 1; epoch <= s.Epochs; epoch++)
        {
            clock.Restart();
            state = train.Batches(s.Batch, seed: s.Seed * 1_000_003 + epoch).Fold(state, step);
            trainingSeconds += clock.Elapsed.TotalSeconds;
            var held = Evaluate.On(state.Model, validation);
            curve.Add(held.Accuracy);
            log($"  epoch {epoch,2}: validation {held.Accuracy:P2} (loss {held.Loss:F4}), {clock.Elapsed.TotalSeconds:F1}s");
        }
        var tested = Evaluate.On(state.Model, test);
        int reached = curve.FindIndex(a => a >= Target);
        log($"  test accuracy {tested.Accuracy:P2}");
        return new Outcome(variant.Name, variant.Pipeline.ToString(), train.FeatureCount, fitSeconds, tested.Accuracy, tested.Loss,
                           reached < 0 ? null : reached + 1, curve.Max(), trainingSeconds / s.Epochs, curve);
    }
}
