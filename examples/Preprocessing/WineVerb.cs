// The `wine` verb: prints the scalar against per-feature standardisation test accuracies on the wine data, one line per seed.
using System.CommandLine;

namespace PreprocessingExample;

internal static class WineVerb
{
    public static Command Command()
    {
        var seeds = Cli.Require(new Option<int>("--seeds") { Description = "Run seeds 1 … N (each its own split, initialisation and batch order)", DefaultValueFactory = _ => 10 }, v => v > 0, "a positive whole number");
        var epochs = Cli.Require(new Option<int>("--epochs") { Description = "Passes over the training part per run", DefaultValueFactory = _ => WineComparison.Epochs }, v => v > 0, "a positive whole number");
        var data = Cli.Require(new Option<string?>("--data") { Description = "The wine CSV (default: the copy of data/wine/wine.csv beside the program)" },
            f => f is null || File.Exists(f), "an existing file");
        var command = new Command("wine", $"Standardise the UCI wine data (178 rows, 13 features) with one mean and σ for all columns (scalar) and with one per column (per-feature), " +
                                          $"train {nameof(WineMlp)} (13-16-3) on each seed's stratified split ({WineComparison.TestCount} rows held out for testing), print both test accuracies. " + ExitCode.Help)
        {
            seeds, epochs, data,
        };
        command.SetAction(parse =>
        {
            var loaded = WineComparison.Load(parse.GetValue(data) ?? WineComparison.DefaultPath);
            if (loaded.IsFail)
            {
                loaded.IfFail(e => Console.Error.WriteLine($"error: {e.Message}"));
                return ExitCode.Usage;
            }
            var wine = loaded.ThrowIfFail();
            int epochCount = parse.GetValue(epochs);
            Console.WriteLine($"data: {wine}");
            Console.WriteLine($"{nameof(WineMlp)} 13-16-3, SGD momentum {WineComparison.Momentum}, lr {WineComparison.LearningRate}, batch {WineComparison.Batch}, {epochCount} epochs; " +
                              "standardisation fitted on the training part only");
            var runs = new List<WineRun>();
            foreach (int seed in Enumerable.Range(1, parse.GetValue(seeds)))
            {
                var run = WineComparison.Run(wine, seed, epochCount);
                runs.Add(run);
                Console.WriteLine($"seed {seed,2}: train {run.TrainCount}, test {run.TestCount}: scalar {run.Scalar:P1}, per-feature {run.PerFeature:P1}");
            }
            string Summary(Func<WineRun, double> accuracy)
            {
                var values = runs.Select(accuracy).ToArray();
                return $"median {WineComparison.Median(values):P1}, range {values.Min():P1} – {values.Max():P1}";
            }
            Console.WriteLine($"scalar:      {Summary(r => r.Scalar)}");
            Console.WriteLine($"per-feature: {Summary(r => r.PerFeature)}");
            return ExitCode.Ok;
        });
        return command;
    }
}
