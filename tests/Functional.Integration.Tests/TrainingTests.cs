// Training for real on the built-in Fashion-MNIST subset: the loss falls and accuracy ends far above chance.
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

public sealed class TrainingTests(ITestOutputHelper output)
{
    private sealed class LossCurve : IStepObserver
    {
        public List<float> Losses { get; } = [];
        public Verdict OnStep(in StepReport report)
        {
            Losses.Add(report.Loss);
            return Verdict.Continue;
        }
    }

    [Fact]
    public void Training_on_the_built_in_subset_learns()
    {
        var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
        var standardize = Preprocess.Standardize(Granularity.Scalar).Fit(subset.Train);
        var (train, test) = (standardize.Apply(subset.Train), standardize.Apply(subset.Test));
        var curve = new LossCurve();

        var start = TrainState.Of(SubsetMlp.Init(seed: 1), Sgd.Momentum(0.01f, 0.9f));
        double before = Evaluate.On(start.Model, test).Accuracy;
        var final = Enumerable.Range(1, 3).Aggregate(start, (state, epoch) => train.Batches(32, seed: epoch).Fold(state, SubsetMlp.Step, curve));
        var after = Evaluate.On(final.Model, test);

        double firstLoss = curve.Losses.Take(10).Average(), lastLoss = curve.Losses.TakeLast(10).Average();
        output.WriteLine($"{curve.Losses.Count} steps; loss {firstLoss:F3} → {lastLoss:F3}; test accuracy {before:P1} → {after.Accuracy:P1}");
        // A fresh network's loss is near ln(10) ≈ 2.3; it must fall well below.
        Assert.InRange(firstLoss, 1.5, 3.5);
        Assert.True(lastLoss < 0.6 * firstLoss, $"loss fell only from {firstLoss:F3} to {lastLoss:F3}");
        // Chance is 10%; this small net on 4,000 images reaches the high 70s.
        Assert.True(after.Accuracy > 0.72, $"test accuracy {after.Accuracy:P1}");
    }
}
