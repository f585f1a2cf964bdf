// A small network and a short real training run on the built-in Fashion-MNIST subset, recorded as the example would record it.
using System.Diagnostics;
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Monitoring.Tests;

/// <summary>784 → 32 → 10: big enough to learn the subset, small enough to train in a second.</summary>
[Network(Inputs = 784)]
public sealed partial record MonitoredMlp(
    [Dense(32, Init = Init.He), Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>What a recorded run leaves behind.</summary>
public sealed record RecordedRun(RunRecorder Recorder, RunConfiguration Configuration, string MetricsFile, Evaluation Test);

public static class Run
{
    public const int Epochs = 3, Batch = 64, StatisticsEvery = 10;
    public const float LearningRate = 0.01f, L2 = 1e-4f;

    /// <summary>The subset built into Runtime (the public <c>Load()</c> would pick the full data set wherever it is installed).</summary>
    public static FashionMnist Subset() => FashionMnist.FromBuiltInSubset().ThrowIfFail();

    /// <summary>Trains <see cref="MonitoredMlp"/> with a recorder and a metrics writer, epoch by epoch, as examples/FashionMnist would.</summary>
    public static RecordedRun Train(string folder)
    {
        var fashion = Subset();
        var (rawTrain, rawValidation) = fashion.Train.Split(500, seed: 1);
        var standardize = Preprocess.Standardize(Granularity.Scalar).Fit(rawTrain);
        var (train, validation, test) = (standardize.Apply(rawTrain), standardize.Apply(rawValidation), standardize.Apply(fashion.Test));
        int batches = (train.Count + Batch - 1) / Batch;

        var configuration = RunConfiguration.Of<MonitoredMlp>() with
        {
            Variant = "test", Init = "He", Optimizer = "SGD momentum 0.9", LearningRate = LearningRate,
            Schedule = $"cosine from {LearningRate} to 0 over {Epochs} epochs", L2 = L2, Batch = Batch, Epochs = Epochs, Seed = 1, Data = fashion.Source,
            Extras = new Dictionary<string, object?> { ["momentum"] = 0.9, ["test"] = nameof(Train) },
        };
        var recorder = RunRecorder.For<MonitoredMlp>(Epochs, batches, StatisticsEvery);
        string metrics = Path.Combine(folder, "metrics.jsonl");
        using var writer = new MetricsWriter(metrics, configuration, stepEvery: 20);
        var sample = validation.Features[..(200 * validation.FeatureCount)].ToArray();

        var state = TrainState.Of(MonitoredMlp.Init(seed: 1), Sgd.Momentum(LearningRate, 0.9f));
        recorder.AddActivations(0, ActivationStatistics.Measure(state.Model, sample, 200));
        var step = new TrainStep<MonitoredMlp>().WithL2(L2).WithSeed(1);
        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            float lr = (float)(LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / Epochs)));
            state = state with { Optimizer = state.Optimizer.WithLearningRate(lr) };
            recorder.BeginEpoch(epoch, lr);
            writer.BeginEpoch(epoch, lr);
            var clock = Stopwatch.StartNew();
            state = train.Batches(Batch, seed: 1_000_003 + epoch).Fold(state, step, Observers.All(recorder, writer));
            var held = Evaluate.On(state.Model, validation);
            writer.WriteEpoch(recorder.EndEpoch(held.Loss, held.Accuracy, clock.Elapsed.TotalSeconds));
            if (epoch == 1 || epoch == Epochs) recorder.AddActivations(epoch, ActivationStatistics.Measure(state.Model, sample, 200));
        }
        var tested = Evaluate.On(state.Model, test);
        writer.WriteTest(tested.Loss, tested.Accuracy, tested.Count);
        return new RecordedRun(recorder, configuration, metrics, tested);
    }
}
