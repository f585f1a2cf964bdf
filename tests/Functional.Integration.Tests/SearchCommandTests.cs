// The search verb as a user runs it, on the built-in subset: a two-stage study in SQLite with two worker processes, its table, CSV and plots; a rerun resumes it; another space under the same name is refused; worker threads, and an edge warning printed once.
using System.Text.RegularExpressions;

namespace Functional.Integration.Tests;

public sealed class SearchCommandTests : IDisposable
{
    private static readonly string Program = Path.Combine(AppContext.BaseDirectory, "FashionMnist.dll");
    private static readonly string Subset = Path.Combine(ChildProcess.Repository(), "data", "fashion-mnist-subset");
    private readonly string dir = Directory.CreateTempSubdirectory("functional-search-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private ChildProcess.Outcome Search(string lr) => ChildProcess.Run("dotnet",
        [Program, "search", "--stage", "coarse:4x1", "--stage", "fine:2x1", "--lr", lr, "--l2", "1e-6..1e-1:log",
         "--workers", "2", "--processes", "--storage", $"sqlite:{Path.Combine(dir, "study.db")}", "--study", "first", "--plots", Path.Combine(dir, "plots")],
        TimeSpan.FromMinutes(4), directory: dir, environment: [("FASHION_MNIST_DIR", Subset)]);

    [Fact]
    public void A_two_stage_study_runs_on_worker_processes_resumes_and_refuses_another_space_under_its_name()
    {
        var (code, stdout, stderr) = Search("1e-4..1:log");
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("2 workers (processes)", stdout);
        Assert.Contains("6 trials in", stdout);
        // Every trial recorded once: the CSV has a header and one row per trial, numbered 0..5.
        var rows = File.ReadAllLines(Path.Combine(dir, "plots", "search-first.csv"));
        Assert.Equal(7, rows.Length);
        var best = Regex.Match(stdout, @"best: trial (\d+) \((coarse|fine)\), score ([0-9.]+)");
        Assert.True(best.Success, stdout);
        Assert.True(double.Parse(best.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) > 0.5, stdout);
        Assert.Matches(@"-- train --epochs 1 --batch 64 --lr [0-9.Ee-]+ --l2 [0-9.Ee-]+ --seed 1", stdout);
        Assert.True(File.Exists(Path.Combine(dir, "plots", "score-lr.png")));

        // The same command again finds both stages done: nothing is re-run, the same best is reported.
        var again = Search("1e-4..1:log");
        Assert.True(again.Code == 0, again.Stderr);
        Assert.Contains("(resumed)", again.Stdout);
        Assert.Contains(best.Value, again.Stdout);
        Assert.Equal(7, File.ReadAllLines(Path.Combine(dir, "plots", "search-first.csv")).Length);

        // Another space under the same name: one line naming both, exit 2, the stored study untouched.
        var other = Search("1e-3..1:log");
        Assert.Equal(2, other.Code);
        Assert.StartsWith("error: study \"first\" exists with another definition (lr 0.001..1:log", other.Stderr);
        Assert.DoesNotContain("   at ", other.Stderr);
    }

    [Fact]
    public void Worker_threads_run_a_study_and_an_edge_warning_is_printed_once()
    {
        // The first seed whose trial 0 draws lr in the top 5 % of its range: a one-trial stage's best sits at the upper
        // edge, so exactly one "widen the range upwards" is due (found here from the sampler, not hard-coded).
        const string lr = "1e-3..1e-2:log", l2 = "1e-6..1e-5:log";
        var space = new Functional.Search.SearchSpace(Functional.Search.Dimension.Parse("lr", lr), Functional.Search.Dimension.Parse("l2", l2));
        int seed = Enumerable.Range(1, 1000).First(s =>
            space["lr"].Position(space.Sample(s, 0).Real("lr")) > 0.96 && space["l2"].Position(space.Sample(s, 0).Real("l2")) is > 0.1 and < 0.9);
        var (code, stdout, stderr) = ChildProcess.Run("dotnet",
            [Program, "search", "--stage", "only:1x1", "--lr", lr, "--l2", l2, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--workers", "2", "--storage", $"sqlite:{Path.Combine(dir, "threads.db")}", "--study", "edge"],
            TimeSpan.FromMinutes(4), directory: dir, environment: [("FASHION_MNIST_DIR", Subset)]);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("2 workers (threads)", stdout);
        Assert.Contains("1 trials in", stdout);
        var warnings = stdout.Split('\n').Where(l => l.Contains("widen the range", StringComparison.Ordinal)).ToArray();
        Assert.Single(warnings);
        Assert.StartsWith("warning: stage only: lr: the best value ", warnings[0]);
        Assert.EndsWith("sits at the upper edge of 0.001..0.01:log; widen the range upwards", warnings[0].TrimEnd());
    }
}
