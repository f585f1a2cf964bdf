// What the babysitting verbs share: the --data, --seed and --network options, and the training split standardised as the train run sees it.
using System.CommandLine;
using Functional.Data;

namespace FashionExample;

internal static class VerbData
{
    public static Option<string?> DataOption() => new("--data") { Description = "Directory with the four Fashion-MNIST .gz files (else $FASHION_MNIST_DIR, the Debian package, or the built-in subset)" };

    /// <summary>--network mlp|cnn|cnn-bn, as train takes it (train adds --activation and friends for the MLPs).</summary>
    public static Option<string> NetworkOption() => Cli.Require(new Option<string>("--network")
    {
        Description = "The network: mlp (784-256-128-10, the default), cnn (2 conv 5×5 + max pool, dense 128: issue 16's reference CNN) or cnn-bn (the same with batch norm before each hidden ReLU and dropout 0.3 on the dense layer)",
        DefaultValueFactory = _ => "mlp",
    }, v => Variants.Shapes.Contains(v), $"one of {string.Join(", ", Variants.Shapes)}");

    /// <summary>The declared record --network <paramref name="shape"/> names with its default (ReLU) layers.</summary>
    public static Variants.Variant Network(string shape) => Variants.Find(shape, "relu", shape == "cnn-bn", false)
        ?? throw new ArgumentOutOfRangeException(nameof(shape), shape, "no such network");

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
        var (_, train) = Preprocess.Standardize(Granularity.Scalar).FitTransform(rawTrain);
        Console.WriteLine($"data: {fashion.Source}; training part {train.Count:N0} images, standardised");
        return train;
    }

    /// <summary><paramref name="count"/> rows of <paramref name="data"/> picked by <paramref name="seed"/> (so not just the file's first rows).</summary>
    public static Dataset Sample(Dataset data, int count, int seed) =>
        data.Subset(new Functional.SeededRandom(seed).Permutation(data.Count).AsSpan(0, Math.Min(count, data.Count)), $"{data.Name}, {Math.Min(count, data.Count)} rows");

    /// <summary>0 for a pass, 1 for a warning or failure (the verbs' exit codes).</summary>
    public static int ExitCode(Functional.Training.CheckOutcome outcome) => outcome == Functional.Training.CheckOutcome.Pass ? 0 : 1;
}
