// The README's advice on Granularity, measured: the UCI wine data standardised with one mean and σ for all columns, and with one per column.
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Training;
using LanguageExt;

namespace PreprocessingExample;

/// <summary>A small classifier for the wine data: 13 chemical measurements, one hidden layer, 3 cultivars.</summary>
[Network(Inputs = 13)]
public sealed partial record WineMlp(
    [Dense(16), Relu] Dense Hidden,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>
/// Test accuracy after standardising with one mean and σ for every value (<see cref="Granularity.Scalar"/>) and with
/// one per column (<see cref="Granularity.PerFeature"/>), both fitted on the training part of the split made with
/// <see cref="Seed"/>, which also seeds initialisation and batch order.
/// </summary>
public sealed record WineRun(int Seed, int TrainCount, int TestCount, double Scalar, double PerFeature);

/// <summary>
/// The comparison the README's sentence on <see cref="Granularity"/> quotes; <c>Preprocessing wine</c> prints it and
/// the integration tests assert on it, so both run exactly this code.
/// </summary>
public static class WineComparison
{
    /// <summary>Rows held out for testing: 30 % of 178, each class in proportion (stratified).</summary>
    public const int TestCount = 54;

    /// <summary>Training settings shared by both standardisations: the only difference between the two runs is the granularity.</summary>
    public const int Epochs = 100, Batch = 16;

    /// <summary>SGD with momentum as the Fashion-MNIST runs use it; scalar does no better at lr 0.1 or 0.001 (docs/preprocessing.md).</summary>
    public const float LearningRate = 0.01f, Momentum = 0.9f;

    /// <summary>The copy of data/wine/wine.csv that the build puts beside the program (and beside the tests that reference it).</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "wine.csv");

    /// <summary>Reads the wine CSV (a header row, 13 features, the class 0–2 in the last column) with the library's reader.</summary>
    public static Fin<Dataset> Load(string path) => Csv.Read(path, new CsvLayout(ClassCount: 3, LabelColumn: -1));

    /// <summary>Splits <paramref name="wine"/> with <paramref name="seed"/> and trains once per granularity from the same initial weights.</summary>
    public static WineRun Run(Dataset wine, int seed, int epochs = Epochs)
    {
        var (train, test) = Folds.HoldOut(wine, TestCount, seed);
        return new WineRun(seed, train.Count, test.Count,
                           TestAccuracy(Granularity.Scalar, train, test, seed, epochs),
                           TestAccuracy(Granularity.PerFeature, train, test, seed, epochs));
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count): what the README quotes over seeds.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("the median of no values is undefined", nameof(values));
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }

    private static double TestAccuracy(Granularity granularity, Dataset rawTrain, Dataset rawTest, int seed, int epochs)
    {
        // Fitted on the training part only: the test rows must not leak into the mean and σ.
        var (train, test, _) = Preprocess.Standardize(granularity).FitApply(rawTrain, rawTest);
        var state = TrainState.Of(WineMlp.Init(seed), Sgd.Momentum(LearningRate, Momentum));
        var step = new TrainStep<WineMlp>().WithSeed(seed);
        for (int epoch = 1; epoch <= epochs; epoch++)
            state = train.Batches(Batch, seed: seed * 1_000_003 + epoch).Fold(state, step);
        return Evaluate.On(state.Model, test).Accuracy;
    }
}
