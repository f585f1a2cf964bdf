// The training run behind the command line: load, split, fold epoch by epoch, report, save metrics.
using System.Diagnostics;
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace FashionExample;

internal static class Run
{
    public sealed record Options(int Epochs, int Batch, float LearningRate, float Momentum, float L2, int Seed, string? DataDirectory, FileInfo? MetricsFile,
        Functional.Dsl.Init? Init = null, string Variant = "relu", string Schedule = "constant");

    /// <summary>The learning rate for an epoch (1-based): constant, or cosine-annealed from --lr towards 0 over the run.</summary>
    private static float LearningRate(Options o, int epoch) => o.Schedule switch
    {
        "cosine" => (float)(o.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / o.Epochs))),
        _ => o.LearningRate,
    };

    private static Optimizer WithLearningRate(Optimizer optimizer, float lr) => optimizer switch
    {
        MomentumSgd m => m with { LearningRate = lr },
        VanillaSgd v => v with { LearningRate = lr },
        _ => optimizer,
    };

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }

    public static int Train<TNet>(Options o) where TNet : class, Functional.INetwork<TNet>
    {
        if (o.Epochs <= 0 || o.Batch <= 0)
        {
            Console.Error.WriteLine($"error: --epochs and --batch must be positive (got {o.Epochs} and {o.Batch})");
            return 2;
        }
        var loaded = FashionMnist.Load(o.DataDirectory);
        if (loaded.IsFail)
        {
            loaded.IfFail(e => Console.Error.WriteLine($"error: {e.Message}"));
            return 2;
        }
        var fashion = loaded.ThrowIfFail();
        Console.WriteLine($"data: {fashion.Source}");

        // Hold out a validation set from the training data (5,000 of 60,000; proportionally fewer for the subset).
        var (rawTrain, rawValidation) = fashion.Train.Split(Math.Min(5000, fashion.Train.Count / 12), o.Seed);
        // Zero-centre and scale by statistics of the training part only, then apply the same transform everywhere.
        var standardize = Preprocess.Standardize(Granularity.Scalar).Fit(rawTrain);
        var (train, validation, test) = (standardize.Apply(rawTrain), standardize.Apply(rawValidation), standardize.Apply(fashion.Test));
        Console.WriteLine($"train {train.Count:N0}, validation {validation.Count:N0}, test {fashion.Test.Count:N0}; " +
                          $"{typeof(TNet).Name} ({o.Variant}), {TNet.ParameterCount:N0} parameters, init {(o.Init?.ToString() ?? "as declared")}; batch {o.Batch}, lr {o.LearningRate}, momentum {o.Momentum}, L2 {o.L2}, seed {o.Seed}");

        Optimizer optimizer = o.Momentum > 0 ? Sgd.Momentum(o.LearningRate, o.Momentum) : Sgd.Plain(o.LearningRate);
        var step = new TrainStep<TNet>().WithL2(o.L2).WithSeed(o.Seed);
        var history = new List<EpochMetrics>();
        int batchesPerEpoch = (train.Count + o.Batch - 1) / o.Batch;

        var final = Enumerable.Range(1, o.Epochs).Aggregate(TrainState.Of(TNet.Init(o.Seed, o.Init), optimizer), (state, epoch) =>
        {
            // The learning rate is a value in the optimizer, so a schedule is just a new optimizer each epoch.
            state = state with { Optimizer = WithLearningRate(state.Optimizer, LearningRate(o, epoch)) };
            var clock = Stopwatch.StartNew();
            var progress = new EpochProgress(epoch, o.Epochs, batchesPerEpoch);
            var next = train.Batches(o.Batch, seed: o.Seed * 1_000_003 + epoch).Fold(state, step, progress);
            double seconds = clock.Elapsed.TotalSeconds;
            var held = Evaluate.On(next.Model, validation);
            var m = new EpochMetrics(epoch, progress.MeanLoss, progress.Accuracy, held.Loss, held.Accuracy, seconds);
            history.Add(m);
            progress.Finish($"loss {m.TrainLoss:F4}  train acc {m.TrainAccuracy:P2}  val loss {m.ValidationLoss:F4}  val acc {m.ValidationAccuracy:P2}  {seconds:F2}s");
            return next;
        });

        var tested = Evaluate.On(final.Model, test);
        Console.WriteLine($"test accuracy {tested.Accuracy:P2} (loss {tested.Loss:F4}) on {tested.Count:N0} images");
        if (o.MetricsFile is not null)
        {
            Metrics.Save(o.MetricsFile, new RunMetrics(fashion.Source, o.Epochs, o.Batch, o.LearningRate, o.Momentum, o.L2, o.Seed, history, tested.Accuracy, tested.Loss));
            Console.WriteLine($"metrics: {o.MetricsFile.FullName}");
        }
        return 0;
    }
}
