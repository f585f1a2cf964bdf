// The `search` verb: random hyperparameter search in stages (coarse → fine) on FashionMlp, trials on local worker processes or other machines, then the table, CSV, the best as a train command, and plots.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Functional.Data;
using Functional.Monitoring;
using Functional.Optimizers;
using Functional.Search;
using Functional.Search.Storage;

namespace FashionExample;

internal static class Search
{
    public static Command Command()
    {
        var stages = new Option<string[]>("--stage") { Description = "A stage NAME:TRIALSxEPOCHS, in order (repeat it); later stages narrow around the best of the one before", DefaultValueFactory = _ => ["coarse:24x1", "fine:12x3"], AllowMultipleArgumentsPerToken = false };
        var lr = new Option<string>("--lr") { Description = "Learning-rate range LO..HI[:log]", DefaultValueFactory = _ => "1e-4..1:log" };
        var l2 = new Option<string>("--l2") { Description = "L2-strength range LO..HI[:log]", DefaultValueFactory = _ => "1e-6..1e-1:log" };
        var workers = Cli.Require(new Option<int>("--workers") { Description = "Trials at once on this machine, each on one kernel thread (default: one per core)", DefaultValueFactory = _ => Environment.ProcessorCount }, v => v >= 0, "0 (coordinate only) or more");
        var processes = new Option<bool>("--processes") { Description = "Run this machine's workers as child processes (`search worker`) rather than threads of this one (needs a sqlite or postgres storage; each process loads the data and compiles the code again)" };
        var storage = StorageOption();
        var study = StudyOption();
        var plots = new Option<DirectoryInfo?>("--plots") { Description = "Write the results' CSV and pictures to this directory (else the CSV goes to runs/)" };
        var seed = VerbData.SeedOption();
        var data = VerbData.DataOption();
        var batch = Cli.Require(new Option<int>("--batch") { Description = "Mini-batch size of every trial", DefaultValueFactory = _ => 64 }, v => v > 0, "a positive whole number");
        var folds = Cli.Require(new Option<int>("--folds") { Description = "k-fold stratified cross-validation per trial (0: the train verb's hold-out split, so `train` reproduces a trial)", DefaultValueFactory = _ => 0 }, v => v == 0 || v >= 2, "0 or at least 2");
        var top = Cli.Require(new Option<int>("--narrow-top") { Description = "Each later stage narrows around the best N complete trials of the one before (a stage's own NAME:TRIALSxEPOCHS:topN overrides it)", DefaultValueFactory = _ => 5 }, v => v > 0, "a positive whole number");
        var init = new Option<string?>("--init") { Description = "Search the weight initialisation too: choices among xavier, he, zeros, smallrandom, xavieruniform, heuniform (e.g. xavier,he); default: He, as train" };
        var pruner = new Option<string>("--pruner") { Description = "none, median (below the median at the same epoch) or halving (successive halving, η = 3)", DefaultValueFactory = _ => "none" };
        pruner.AcceptOnlyFromAmong("none", "median", "halving");
        var command = new Command("search", "Random hyperparameter search as the lecture teaches it: log-uniform ranges, coarse → fine stages, the 3× early kill, optional cross-validation, many workers.")
        {
            stages, lr, l2, init, workers, processes, storage, study, plots, seed, data, batch, folds, pruner, top,
        };
        command.SetAction(parse =>
        {
            StudyDefinition definition;
            try
            {
                var dimensions = new List<Dimension> { Dimension.Parse("lr", parse.GetValue(lr)!), Dimension.Parse("l2", parse.GetValue(l2)!) };
                if (parse.GetValue(init) is { } schemes)
                {
                    // One scheme is a categorical with one choice (fixed); the names are checked now, not in the first trial.
                    var choices = Dimension.Categorical(NetworkTrial<FashionMlp>.InitParameter, [.. schemes.Split(',').Select(c => c.Trim().ToLowerInvariant())]);
                    foreach (var c in choices.Choices) NetworkTrial<FashionMlp>.InitScheme(c);
                    dimensions.Add(choices);
                }
                definition = new StudyDefinition(
                    new SearchSpace(dimensions),
                    [.. parse.GetValue(stages)!.Select(Stage.Parse)], parse.GetValue(seed), Pruner.Parse(parse.GetValue(pruner)!), new Narrowing(parse.GetValue(top)),
                    Settings: new Dictionary<string, string>
                    {
                        ["network"] = nameof(FashionMlp), ["batch"] = Text(parse.GetValue(batch)), ["folds"] = Text(parse.GetValue(folds)),
                    }).Validate();
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
            {
                return Run.Fail(e.Message);
            }
            return Coordinate(definition, parse.GetValue(storage)!, parse.GetValue(study)!, parse.GetValue(workers), parse.GetValue(processes), parse.GetValue(data), parse.GetValue(plots));
        });
        command.Subcommands.Add(WorkerCommand());
        command.Subcommands.Add(FigureCommand());
        return command;
    }

    private static Option<string> StorageOption() => new("--storage")
    {
        Description = "Where the study lives: sqlite:FILE (the default, runs/search.db), postgres://user@host[:port]/db for workers on several machines, or memory (this process only)", DefaultValueFactory = _ => "sqlite:runs/search.db",
    };

    private static Option<string> StudyOption() => new("--study") { Description = "The study's name in the storage (reuse it to resume)", DefaultValueFactory = _ => "fashion" };

    /// <summary>
    /// The one place a storage is opened from its address. SQLite and PostgreSQL stores are another engineer's work in
    /// progress (src/Search/Storage); when a <c>StudyStorage.Open(uri)</c> lands, this switch becomes that call.
    /// </summary>
    private static IStudyStorage OpenStorage(string uri) => uri switch
    {
        "memory" => new InMemoryStudyStorage(),
        _ => StudyStorage.Open(uri),
    };

    private static int Coordinate(StudyDefinition definition, string uri, string name, int workers, bool processes, string? data, DirectoryInfo? plots)
    {
        IStudyStorage storage;
        try { storage = OpenStorage(uri); }
        catch (StudyStorageException e) { return Run.Fail(e.Message, ExitCode.CheckFailed); }
        using var _ = storage;
        bool shared = storage is not InMemoryStudyStorage;
        if (processes && !shared) return Run.Fail("--processes needs a storage other processes can open (sqlite:FILE or postgres://…), not memory");
        Console.WriteLine($"study \"{name}\" in {(shared ? uri.Split(':')[0] : "memory")}: {definition.Space}; stages {string.Join(", ", definition.Stages)}; seed {definition.Seed}; " +
                          $"{(definition.Pruner is null ? "no pruner" : definition.Pruner.GetType().Name)}; {Describe(definition)}; {workers} worker{(workers == 1 ? "" : "s")}" +
                          $"{(processes ? " (processes)" : " (threads)")}, one kernel thread each");
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler cancel = (_, e) => { e.Cancel = !stop.IsCancellationRequested; stop.Cancel(); };
        Console.CancelKeyPress += cancel;
        var children = new List<Process>();
        var clock = Stopwatch.StartNew();
        try
        {
            // Threads by default: one process loads the data, prepares the split and compiles the training code once for
            // all its workers (each worker process would do all three again). Other processes can still join the study.
            var trial = processes || workers == 0 ? null : Trial(definition, data);
            if (trial is null && !processes && workers > 0) return ExitCode.Usage;
            var options = new StudyOptions
            {
                Workers = processes ? 0 : workers, KernelThreads = 1, Cancel = stop.Token,
                Progress = e =>
                {
                    Console.WriteLine(e is TrialFinished ? $"{clock.Elapsed.TotalSeconds,7:F1}s {e}" : e.ToString());
                    // Worker processes start once the study exists (they find it by name).
                    if (processes && e is StageStarted && children.Count == 0)
                        children.AddRange(Enumerable.Range(0, workers).Select(_ => StartWorker(uri, name, data)));
                },
            };
            var report = Study.Run(storage, name, definition, trial ?? (_ => throw new InvalidOperationException("the coordinator runs no trials")), options);
            return Results(report, definition, plots, clock.Elapsed);
        }
        catch (StudyMismatchException e) { return Run.Fail(e.Message); }
        catch (StudyStorageException e) { return Run.Fail(e.Message, ExitCode.CheckFailed); }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"interrupted; the study is kept{(shared ? $" in {uri.Split(':')[0]}: run the same command to resume" : " only in memory, so it is gone")}");
            return ExitCode.Interrupted;
        }
        finally
        {
            Console.CancelKeyPress -= cancel;
            foreach (var child in children)
            {
                if (!child.WaitForExit(TimeSpan.FromSeconds(30))) child.Kill();
                child.Dispose();
            }
        }
    }

    private static Command WorkerCommand()
    {
        var storage = StorageOption();
        var study = StudyOption();
        var data = VerbData.DataOption();
        var workers = Cli.Require(new Option<int>("--workers") { Description = "Trials at once in this process", DefaultValueFactory = _ => 1 }, v => v > 0, "a positive whole number");
        var command = new Command("worker", "Run trials of a study another process coordinates (same --storage and --study), until it is finished.") { storage, study, data, workers };
        command.SetAction(parse =>
        {
            IStudyStorage store;
            try { store = OpenStorage(parse.GetValue(storage)!); }
            catch (StudyStorageException e) { return Run.Fail(e.Message, ExitCode.CheckFailed); }
            using var _ = store;
            string name = parse.GetValue(study)!;
            var found = store.FindStudy(name);
            if (found is null) return Run.Fail($"no study \"{name}\" in {parse.GetValue(storage)} (start the coordinator first, or check --study)");
            var trial = Trial(StudyDefinition.FromJson(found.Value.DefinitionJson), parse.GetValue(data));
            if (trial is null) return ExitCode.Usage;
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            try { Study.Work(store, name, trial, new StudyOptions { Workers = parse.GetValue(workers), KernelThreads = 1, Cancel = stop.Token }); }
            catch (StudyStorageException e) { return Run.Fail(e.Message, ExitCode.CheckFailed); }
            return ExitCode.Ok;
        });
        return command;
    }

    private static Command FigureCommand()
    {
        var file = new Option<FileInfo>("--plot") { Description = "Where to write the picture", DefaultValueFactory = _ => new FileInfo(Path.Combine("docs", "images", "random-vs-grid.png")) };
        var command = new Command("random-vs-grid", "Draw Bergstra & Bengio's figure from a simulation: 9 grid trials against 9 random ones when only one of two hyperparameters matters.") { file };
        command.SetAction(parse =>
        {
            var (gridDistinct, randomDistinct, gridBest, randomBest) = SearchPlots.RandomVersusGrid(parse.GetValue(file)!.FullName);
            Console.WriteLine($"grid: {gridDistinct} distinct values of the important hyperparameter, best g {gridBest:F3}; random: {randomDistinct} distinct, best g {randomBest:F3}");
            // Over many seeds, not one lucky draw: how often 9 random trials beat the 3×3 grid's best.
            int wins = Enumerable.Range(0, 10_000).Count(s =>
            {
                var r = new Random(s);
                return Enumerable.Range(0, 9).Max(_ => Math.Exp(-Math.Pow((r.NextDouble() - 0.62) / 0.08, 2))) > gridBest;
            });
            Console.WriteLine($"over 10,000 random layouts of 9 trials, {wins / 100.0:F1} % find a better x than the grid; picture: {parse.GetValue(file)!.FullName}");
            return ExitCode.Ok;
        });
        return command;
    }

    /// <summary>Starts <c>search worker</c> as a child process with one kernel thread.</summary>
    private static Process StartWorker(string uri, string name, string? data)
    {
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        // Run as `dotnet FashionMnist.dll`, the process is dotnet: hand it the assembly first.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(Search).Assembly.Location);
        foreach (var a in new[] { "search", "worker", "--storage", uri, "--study", name }) start.ArgumentList.Add(a);
        if (data is not null)
        {
            start.ArgumentList.Add("--data");
            start.ArgumentList.Add(data);
        }
        start.Environment[Functional.Kernels.Parallelism.EnvironmentVariable] = "1";
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start a worker process ({self})");
    }

    /// <summary>The trial function for the study's settings, on the data loaded once per process; null after printing why not.</summary>
    private static TrialFunction? Trial(StudyDefinition definition, string? directory)
    {
        var loaded = FashionMnist.Load(directory);
        if (loaded.IsFail)
        {
            loaded.IfFail(e => Console.Error.WriteLine($"error: {e.Message}"));
            return null;
        }
        var fashion = loaded.ThrowIfFail();
        int batch = int.Parse(definition.Setting("batch"), CultureInfo.InvariantCulture), k = int.Parse(definition.Setting("folds"), CultureInfo.InvariantCulture);
        // With no folds, the split the train verb makes, so `train --lr … --l2 … --epochs … --seed …` reproduces the trial's score.
        var validation = k >= 2 ? Validation.KFold(k) : Validation.Custom("the train verb's hold-out split", (d, seed) =>
        {
            var (train, held) = d.Split(Math.Min(5000, d.Count / 12), seed);
            return [new Fold(0, train, held)];
        });
        var trial = new NetworkTrial<FashionMlp>(fashion.Train, validation, (p, _) => Sgd.Momentum((float)p.Real("lr"), 0.9f), p => (float)p.Real("l2"),
            Preprocess.Standardize(Granularity.Scalar), batch);
        return trial.Run;
    }

    private static int Results(StudyReport report, StudyDefinition definition, DirectoryInfo? plots, TimeSpan elapsed)
    {
        Console.WriteLine();
        Console.WriteLine($"{report.Trials.Count} trials in {elapsed.TotalMinutes:F1} min; best first:");
        Console.Write(report.Table());
        var directory = plots?.FullName ?? Path.GetFullPath("runs");
        Directory.CreateDirectory(directory);
        string csv = Path.Combine(directory, $"search-{RunPlots.FileSafe(report.Name)}.csv");
        File.WriteAllText(csv, report.ToCsv());
        Console.WriteLine($"csv: {csv}");
        // The edge warnings were printed as each stage ended (Study.Run's EdgeWarned): not again here.
        if (report.Best is { } best)
        {
            string command = $"dotnet run -c Release --project examples/FashionMnist -- train --epochs {best.Stage.Stage.Epochs} --batch {definition.Setting("batch")} " +
                             $"--lr {F(best.Parameters.Real("lr"))} --l2 {F(best.Parameters.Real("l2"))} --seed {definition.Seed}" +
                             (NetworkTrial<FashionMlp>.InitOf(best.Parameters) is { } scheme ? $" --init {scheme}" : "");
            Console.WriteLine($"best: trial {best.Number} ({best.Stage.Stage.Name}), score {best.Score:F4}; reproduce{(definition.Setting("folds") == "0" ? " (its last validation accuracy)" : " on one split")} with:");
            Console.WriteLine($"  {command}");
        }
        if (plots is not null)
        {
            var trials = report.Trials.Select(t => new SearchPlotTrial(t.Number, t.Stage.Stage.Name,
                t.Parameters.Values.Where(v => v.Value is double).ToDictionary(v => v.Key, v => (double)v.Value), t.State == TrialState.Failed ? null : t.Score,
                t.Detail.Started, t.Detail.Finished)).ToArray();
            var axes = definition.Space.Dimensions.Where(d => d.Kind != DimensionKind.Categorical).Select(d => new SearchPlotAxis(d.Name, d.Log)).ToArray();
            foreach (var file in SearchPlots.Write(plots.FullName, report.Name, trials, axes)) Console.WriteLine($"plot: {file.Path}");
        }
        return report.Best is null ? ExitCode.CheckFailed : ExitCode.Ok;
    }

    /// <summary>A trial's value as the float the trial trained with, in its shortest round-trip form, so the train verb parses the same float.</summary>
    private static string F(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Describe(StudyDefinition d) => d.Setting("folds") == "0" ? "validated on the train verb's hold-out split" : $"{d.Setting("folds")}-fold stratified cross-validation";
}
