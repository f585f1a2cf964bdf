// Entry point: `compare` runs the side-by-side table with PyTorch, `peak` probes FMA throughput, `profile` splits a step by kernel, `allocations` counts a steady step's bytes, `conv` times the reference CNN's convolution and pooling passes, anything else goes to BenchmarkDotNet.
using System.CommandLine;
using BenchmarkDotNet.Running;
using Functional.Benchmarks;

string[] verbs = ["compare", "peak", "profile", "allocations", "conv", "-h", "--help", "-?"];
if (args.Length == 0 || !verbs.Contains(args[0]))
{
    // BenchmarkDotNet parses its own options (--filter, --list, --job …) and reports its own mistakes.
    BenchmarkSwitcher.FromAssembly(typeof(BenchMlp).Assembly).Run(args);
    return ExitCode.Ok;
}
return Cli.Invoke(Verbs(), args);

static RootCommand Verbs()
{
    var runs = Cli.Require(new Option<int>("--runs") { Description = "Interleaved rounds per figure (the table shows medians)", DefaultValueFactory = _ => 5 }, v => v > 0, "a positive whole number");
    var figures = Cli.Require(new Option<string>("--figures") { Description = $"Comma-separated figures to run: {string.Join(", ", Comparison.FigureKeys)}, each at every thread count it has or as name@threads at one (default: all)", DefaultValueFactory = _ => "" },
        v => Split(v).All(Comparison.IsFigure), $"a comma-separated list of {string.Join(", ", Comparison.FigureKeys)} (or name@threads)");
    var compare = new Command("compare", "Functional and PyTorch side by side, interleaved run by run, as one table of medians and ratios (docs/performance.md).") { runs, figures };
    compare.SetAction(parse => Comparison.Run(parse.GetValue(runs), Split(parse.GetValue(figures)!)));

    var peak = new Command("peak", "FMA throughput of one core and the rates the 784×256 products reach.");
    peak.SetAction(_ => Peak.Run());

    var convRuns = Cli.Require(new Option<int>("--runs") { Description = "Timed runs per pass (the table shows medians)", DefaultValueFactory = _ => 9 }, v => v > 0, "a positive whole number");
    var conv = new Command("conv", "The reference CNN's convolution and pooling passes at batch 64: on-CPU µs and GFLOP/s on one thread beside the FMA peak, then wall µs on two.") { convRuns };
    conv.SetAction(parse => ConvolutionRates.Run(parse.GetValue(convRuns)));

    var allocations = new Command("allocations", "Bytes 100 steady-state training steps allocate, per optimizer path (momentum and Adam fused, Adam with clipping unfused), batch 64 and 1, 1 and 2 threads; exit code 1 unless all are 0.");
    allocations.SetAction(_ => Allocations.Report() ? ExitCode.Ok : ExitCode.CheckFailed);

    string modes = string.Join(", ", Profile.Modes);
    var what = new Argument<string>("what") { Description = $"Comma-separated batch sizes for the kernel split (default 64,256,1), or {modes}: two interleaved folds (update: the optimizer's pass alone, link by link)", DefaultValueFactory = _ => "64,256,1" };
    what.Validators.Add(r =>
    {
        string v = r.GetValueOrDefault<string>();
        if (!Profile.Modes.Contains(v) && !Split(v).All(b => int.TryParse(b, out int n) && n > 0) || v.Length == 0)
            r.AddError($"{what.Name} must be {modes} or comma-separated positive batch sizes, got {v}");
    });
    // Read as text, so "64 x" is refused as these numbers rather than as an unrecognized argument.
    var numbers = new Argument<string[]>("numbers") { Description = "After batch sizes: [threads] [rows] (1, 55000); after a mode: [batch] [threads] [pairs] (64, 1, 31)", Arity = new ArgumentArity(0, 3) };
    numbers.Validators.Add(r =>
    {
        var given = r.Tokens.Select(t => t.Value).ToArray();
        if (!given.All(n => int.TryParse(n, out int v) && v > 0))
            r.AddError($"{numbers.Name} must be positive whole numbers, got {string.Join(" ", given)}");
    });
    var profile = new Command("profile", "Where one training step's time goes, kernel by kernel; or two folds interleaved (fused vs separate optimizer, batch norm vs plain, watched vs not, Adam vs momentum); or the optimizer's update pass alone.") { what, numbers };
    profile.SetAction(parse => Profile.Run(parse.GetValue(what)!, [.. (parse.GetValue(numbers) ?? []).Select(int.Parse)]));

    return new RootCommand("Speed, measured. Verbs below; any other arguments go to BenchmarkDotNet (e.g. --filter '*Gemm*', --list flat). " + ExitCode.Help)
    {
        compare, peak, profile, allocations, conv,
    };
}

static string[] Split(string? list) => list is null ? [] : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
