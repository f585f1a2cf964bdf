// Compares the lecture's preprocessings on Fashion-MNIST with the default network (table, figures, a model file); `wine` compares standardisations on tabular data.
using System.CommandLine;
using System.Globalization;
using System.Text;
using Functional.Data;
using Functional.Persistence;
using Functional.Training;
using PreprocessingExample;
using Spectre.Console;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var epochs = Cli.Require(new Option<int>("--epochs") { Description = "Passes over the training set per run", DefaultValueFactory = _ => 10 }, v => v > 0, "a positive whole number");
var seed = new Option<int>("--seed") { Description = "Seed for initialisation, the validation split and batch order (the same for every run)", DefaultValueFactory = _ => 1 };
var data = Cli.Require(new Option<string?>("--data") { Description = "Directory with the four Fashion-MNIST .gz files (else $FASHION_MNIST_DIR, the Debian package, or the built-in subset)" },
    d => d is null || Directory.Exists(d), "an existing directory");
var download = new Option<bool>("--download") { Description = "Download Fashion-MNIST into --cache first (SHA-256 verified)" };
var cache = new Option<string>("--cache") { Description = "Download cache directory", DefaultValueFactory = _ => FashionMnistDownload.DefaultCacheDirectory };
string[] names = [.. Variants().Select(v => v.Name)];
var only = Cli.Require(new Option<string[]>("--only") { Description = "Run only the variants whose names contain one of these words (e.g. PCA, ZCA, standardization)", AllowMultipleArgumentsPerToken = true },
    words => words.All(w => names.Any(n => n.Contains(w, StringComparison.OrdinalIgnoreCase))), $"words from the variant names ({string.Join("; ", names)})");
var table = new Option<FileInfo?>("--table") { Description = "Also write the results table (Markdown) to this file" };
var images = new Option<DirectoryInfo?>("--images") { Description = "Write the principal-component and whitened-image PNGs into this directory" };
var model = new Option<FileInfo?>("--model") { Description = "Save the PCA-whitening model with its pipeline here, reload it and check it scores the same" };

var root = new RootCommand("Train the 784-256-128-10 MLP on Fashion-MNIST under each preprocessing and compare test accuracy and epochs to 85 % " +
                           "(`wine`: scalar against per-feature standardisation on the UCI wine data). " + ExitCode.Help)
{
    epochs, seed, data, download, cache, only, table, images, model,
};
root.Subcommands.Add(WineVerb.Command());
root.SetAction(async (parse, cancel) =>
{
    var settings = new Settings(parse.GetValue(epochs), Batch: 64, LearningRate: 0.01f, Momentum: 0.9f, parse.GetValue(seed));
    var loaded = parse.GetValue(download)
        ? await Download(parse.GetValue(cache)!, cancel)
        : FashionMnist.Load(parse.GetValue(data));
    if (loaded.IsFail)
    {
        loaded.IfFail(e => Console.Error.WriteLine($"error: {e.Message}"));
        return ExitCode.Usage;
    }
    var fashion = loaded.ThrowIfFail();
    Console.WriteLine($"data: {fashion.Source}");

    // A stratified hold-out: every class keeps its share in the 5,000 validation images.
    var (train, validation) = Folds.HoldOut(fashion.Train, Math.Min(5000, fashion.Train.Count / 12), settings.Seed);
    Console.WriteLine($"train {train.Count:N0}, validation {validation.Count:N0}, test {fashion.Test.Count:N0}; " +
                      $"SGD momentum {settings.Momentum}, lr {settings.LearningRate}, batch {settings.Batch}, {settings.Epochs} epochs, seed {settings.Seed}");

    var variants = Variants().Where(v => parse.GetValue(only) is not { Length: > 0 } words || words.Any(w => v.Name.Contains(w, StringComparison.OrdinalIgnoreCase))).ToList();
    var outcomes = variants.Select(v => Experiment.Run(v, train, validation, fashion.Test, settings, Console.WriteLine)).ToList();

    string markdown = Table(outcomes, settings, fashion.Source);
    Console.WriteLine();
    Console.WriteLine(markdown);
    if (parse.GetValue(table) is { } tableFile) WriteAtomically(tableFile.FullName, markdown);
    if (parse.GetValue(images) is { } imageDirectory) WriteFigures(imageDirectory.FullName, train, fashion.Test);
    if (parse.GetValue(model) is { } modelFile) return RoundTrip(modelFile.FullName, train, fashion.Test, settings);
    return ExitCode.Ok;
});
return Cli.Invoke(root, args);

static IEnumerable<Variant> Variants() =>
[
    new("none (pixels in [0, 1])", Preprocess.None, Reduced: false),
    new("centering (mean image)", Preprocess.Center(), Reduced: false),
    new("standardization (one mean, one std)", Preprocess.Standardize(Granularity.Scalar), Reduced: false),
    new("standardization (per pixel)", Preprocess.Standardize(), Reduced: false),
    new($"PCA (k = {Components.K})", Preprocess.Pca(Components.K), Reduced: true),
    new($"PCA whitening (k = {Components.K}, ε = 1e-5)", Preprocess.PcaWhiten(Components.K, 1e-5), Reduced: true),
    new("ZCA whitening (ε = 1e-5)", Preprocess.ZcaWhiten(1e-5), Reduced: false),
    new("ZCA whitening (ε = 0.1)", Preprocess.ZcaWhiten(0.1), Reduced: false),
];

static async Task<LanguageExt.Fin<FashionMnist>> Download(string directory, CancellationToken cancel)
{
    Console.WriteLine($"downloading Fashion-MNIST into {directory}");
    if (Console.IsOutputRedirected)
        return await FashionMnistDownload.LoadAsync(directory, new DownloadOptions { Progress = TextDownloadProgress.ForConsole() }, cancel);
    LanguageExt.Fin<FashionMnist> result = default;
    await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
        .StartAsync(async context =>
        {
            var tasks = FashionMnistDownload.OfficialFiles.ToDictionary(f => f.Name, f => context.AddTask(f.Name, maxValue: f.Size));
            var progress = new SpectreProgress(tasks);
            result = await FashionMnistDownload.LoadAsync(directory, new DownloadOptions { Progress = progress }, cancel);
        });
    return result;
}

static string Table(IReadOnlyList<Outcome> outcomes, Settings s, string source)
{
    var text = new StringBuilder();
    string Epochs(double? e) => e is double v ? v.ToString("F1") : $"not in {s.Epochs}";
    text.AppendLine($"| preprocessing (fitted on the training part only) | features | test accuracy | epochs to {Experiment.Target:P0} validation | epochs to {Experiment.HighTarget:P0} validation | best validation | fit + apply | s / epoch |");
    text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var o in outcomes)
        text.AppendLine($"| {o.Name} | {o.Features} | {o.TestAccuracy:P2} | {Epochs(o.EpochsToTarget)} | {Epochs(o.EpochsToHighTarget)} | {o.BestValidation:P2} | {o.FitSeconds:F1} s | {o.SecondsPerEpoch:F1} |");
    text.AppendLine();
    text.AppendLine($"Validation accuracy (%) at the end of each epoch (epochs-to-target above come from checks every 1/{Experiment.ChecksPerEpoch} epoch):");
    text.AppendLine();
    foreach (var o in outcomes)
        text.AppendLine($"- {o.Name}: {string.Join(" ", o.ValidationCurve.Select(a => (100 * a).ToString("F1")))}");
    text.AppendLine();
    text.AppendLine($"Data: {source}. SGD with momentum {s.Momentum}, lr {s.LearningRate}, batch {s.Batch}, {s.Epochs} epochs, seed {s.Seed} for every run.");
    return text.ToString();
}

static void WriteFigures(string directory, Dataset train, Dataset test)
{
    var pca = Pca.Fit(train, 784);
    Figures.Components(Path.Combine(directory, "pca-components.png"), pca, count: 23, columns: 8);
    var ratios = pca.ExplainedVarianceRatio;
    double Cumulative(int k) => ratios.Take(k).Sum();
    Console.WriteLine($"explained variance: first component {ratios[0]:P1}; 10 components {Cumulative(10):P1}; 50 {Cumulative(50):P1}; " +
                      $"{Components.K} {Cumulative(Components.K):P1}; 200 {Cumulative(200):P1}");
    foreach (double f in new[] { 0.8, 0.9, 0.95, 0.99 })
        Console.WriteLine($"  components for {f:P0} of the variance: {ratios.Select((_, i) => i + 1).First(k => Cumulative(k) >= f)}");

    // One test image of each class: original, PCA reconstruction from 100 components, ZCA with a large and a tiny ε.
    var rows = Enumerable.Range(0, 10).Select(c => Enumerable.Range(0, test.Count).First(i => test.Labels[i] == c)).ToArray();
    var pca100 = Pca.Fit(train, Components.K);
    var versions = new (string, Dataset)[]
    {
        ("original", test),
        ($"PCA, {Components.K} components", pca100.Reconstruct(pca100.Apply(test))),
        ("ZCA, ε = 0.1", ZcaWhitening.Fit(train, 0.1).Apply(test)),
        ("ZCA, ε = 0.01", ZcaWhitening.Fit(train, 1e-2).Apply(test)),
        ("ZCA, ε = 1e-5", ZcaWhitening.Fit(train, 1e-5).Apply(test)),
    };
    Figures.Rows(Path.Combine(directory, "whitened-images.png"), versions, rows);
    Console.WriteLine($"figures: {Path.Combine(directory, "pca-components.png")}, {Path.Combine(directory, "whitened-images.png")}");
}

static int RoundTrip(string path, Dataset train, Dataset test, Settings s)
{
    // Short training is enough to show that what is loaded scores exactly what was saved.
    var fitted = Preprocess.Standardize().Then(Preprocess.PcaWhiten(Components.K, 1e-5)).Fit(train);
    var state = TrainState.Of(PcaMlp.Init(s.Seed), Functional.Optimizers.Sgd.Momentum(s.LearningRate, s.Momentum));
    state = fitted.Apply(train).Batches(s.Batch, s.Seed).Fold(state, new TrainStep<PcaMlp>());
    ModelFile.Save(path, state.Model, fitted).IfFail(e => throw new IOException(e.Message));

    var (model, pipeline) = ModelFile.Load<PcaMlp>(path).ThrowIfFail();
    double before = Evaluate.On(state.Model, fitted.Apply(test)).Accuracy;
    double after = Evaluate.On(model, pipeline.Apply(test)).Accuracy;
    Console.WriteLine($"model file {path} ({new FileInfo(path).Length:N0} bytes): test accuracy {before:P2} before saving, {after:P2} after loading" +
                      (before == after ? " (identical)" : " (DIFFERENT)"));
    var wrong = ModelFile.Load<PixelMlp>(path);
    wrong.IfFail(e => Console.WriteLine($"loading it as PixelMlp is refused: {e.Message}"));
    return before == after && wrong.IsFail ? ExitCode.Ok : ExitCode.CheckFailed;
}

static void WriteAtomically(string path, string text)
{
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    File.WriteAllText(path + ".tmp", text);
    File.Move(path + ".tmp", path, overwrite: true);
}

/// <summary>Feeds download progress into Spectre.Console's live bars, one per file.</summary>
internal sealed class SpectreProgress(Dictionary<string, ProgressTask> tasks) : IProgress<DownloadProgress>
{
    public void Report(DownloadProgress p)
    {
        var task = tasks[p.File];
        task.MaxValue = p.Total;
        task.Value = p.Received;
        if (p.Cached) task.Description = $"{p.File} (cached)";
    }
}
