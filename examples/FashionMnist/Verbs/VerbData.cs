// What the babysitting verbs share: the --data and --seed options, and the training split standardised as the train run sees it.
using System.CommandLine;
using Functional.Data;

namespace FashionExample;

internal static class VerbData
{
    public static Option<string?> DataOption() => new("--data") { Description = "Directory with the four Fashion-MNIST .gz files (else $FASHION_MNIST_DIR, the Debian package, or the built-in subset)" };

    public static Option<int> SeedOption() => new("--seed") { Description = "Seed for initialisation, the validation split and batch order", DefaultValueFactory = _ => 1 };

    /// <summary>
    /// The training part of the split the root command trains on (validation held out the same way), standardised by its
    /// own statistics; null after printing the error if the data cannot be loaded.
    /// </summary>
    public static Dataset? Train(string? directory, int seed)
    {
        var loaded = FashionMnist.Load(directory);
        if (loaded.IsFail)
        {
            loaded.IfFail(e => Console.Error.WriteLine($"error: {e.Message}"));
            return null;
        }
        var fashion = loaded.ThrowIfFail();
        var (rawTrain, _) = fashion.Train.Split(Math.Min(5000, fashion.Train.Count / 12), seed);
        var train = Preprocess.Standardize(Granularity.Scalar).Fit(rawTrain).Apply(rawTrain);
        Console.WriteLine($"data: {fashion.Source}; training part {train.Count:N0} images, standardised");
        return train;
    }

    /// <summary><paramref name="count"/> rows of <paramref name="data"/> picked by <paramref name="seed"/> (so not just the file's first rows).</summary>
    public static Dataset Sample(Dataset data, int count, int seed) =>
        data.Subset(new Functional.SeededRandom(seed).Permutation(data.Count).AsSpan(0, Math.Min(count, data.Count)), $"{data.Name}, {Math.Min(count, data.Count)} rows");

    /// <summary>0 for a pass, 1 for a warning or failure (the verbs' exit codes).</summary>
    public static int ExitCode(Functional.Training.CheckOutcome outcome) => outcome == Functional.Training.CheckOutcome.Pass ? 0 : 1;
}
