// One training run per preprocessing: fit on the training part only, train with the same seed, report test accuracy and speed.
using System.Diagnostics;
using Functional;
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace PreprocessingExample;

/// <summary>A preprocessing to compare, and which network (by input width) trains on its output.</summary>
internal sealed record Variant(string Name, Pipeline Pipeline, bool Reduced);

/// <summary>What one run measured. Epochs-to-target are read off validation checks taken every tenth of an epoch.</summary>
internal sealed record Outcome(string Name, string Steps, int Features, double FitSeconds, double TestAccuracy, double TestLoss,
                               double? EpochsToTarget, double? EpochsToHighTarget, double BestValidation, double SecondsPerEpoch,
                               IReadOnlyList<double> ValidationCurve);

internal sealed record Settings(int Epochs, int Batch, float LearningRate, float Momentum, int Seed);

internal static class Experiment
{
    /// <summary>The target, and a harder one: this network passes 85 % within one epoch under almost any preprocessing.</summary>
    public const double Target = 0.85, HighTarget = 0.89;

    /// <summary>Validation checks per epoch: enough to tell 0.3 epochs from 0.9, cheap next to training (5,000 images each).</summary>
    public const int ChecksPerEpoch = 10;

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
        clock.Restart();
        var state = TrainState.Of(TNet.Init(s.Seed), Sgd.Momentum(s.LearningRate, s.Momentum));
        var curve = new List<double>();
        var checks = new List<(double Epoch, double Accuracy)>();
        double trainingSeconds = 0;
        for (int epoch = 1; epoch <= s.Epochs; epoch++)
        {
            var batches = train.Batches(s.Batch, seed: s.Seed * 1_000_003 + epoch).ToList();
            int per = (batches.Count + ChecksPerEpoch - 1) / ChecksPerEpoch;
            double seconds = 0;
            Evaluation held = default;
            // Folding the epoch's batches in ten consecutive pieces takes the same steps as one fold over all of them.
            for (int piece = 0; piece * per < batches.Count; piece++)
            {
                clock.Restart();
                state = batches.Skip(piece * per).Take(per).Fold(state, step);
                seconds += clock.Elapsed.TotalSeconds;
                held = Evaluate.On(state.Model, validation);
                checks.Add((epoch - 1 + Math.Min(1.0, (piece + 1.0) * per / batches.Count), held.Accuracy));
            }
            trainingSeconds += seconds;
            curve.Add(held.Accuracy);
            log($"  epoch {epoch,2}: validation {held.Accuracy:P2} (loss {held.Loss:F4}), {seconds:F1}s training");
        }
        var tested = Evaluate.On(state.Model, test);
        log($"  test accuracy {tested.Accuracy:P2}");
        double? First(double target) => checks.FirstOrDefault(c => c.Accuracy >= target) is { Epoch: > 0 } hit ? hit.Epoch : null;
        return new Outcome(variant.Name, variant.Pipeline.ToString(), train.FeatureCount, fitSeconds, tested.Accuracy, tested.Loss,
                           First(Target), First(HighTarget), checks.Max(c => c.Accuracy), trainingSeconds / s.Epochs, curve);
    }
}
