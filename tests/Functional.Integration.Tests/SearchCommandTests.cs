// The search verb as a user runs it, on the built-in subset: a two-stage study in SQLite with two worker processes, its table, CSV and plots; a rerun resumes it; another space under the same name is refused; worker threads, and an edge warning printed once; workers joining a PostgreSQL study by name, their sessions ended by the server mid-study.
using System.Globalization;
using System.Text.RegularExpressions;
using Functional.Search.Storage;
using Npgsql;

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
    public async Task Workers_join_a_PostgreSQL_study_by_name_as_other_machines_would_and_outlive_the_server_ending_their_sessions()
    {
        var environment = new[] { ("FASHION_MNIST_DIR", Subset) };
        if (Environment.GetEnvironmentVariable("FUNCTIONAL_TEST_POSTGRES") is not { Length: > 0 } server)
        {
            // No server here (.ci/run starts one): the worker's one-line error for an unreachable one, password left out.
            var lone = ChildProcess.Run("dotnet", [Program, "search", "worker", "--storage", "postgres://functional:Secr3t@127.0.0.1:1/functional", "--study", "s"],
                TimeSpan.FromMinutes(2), dir, environment);
            Assert.Equal(1, lone.Code);
            Assert.StartsWith("error: postgres://functional@127.0.0.1:1/functional: cannot connect (", lone.Stderr);
            Assert.DoesNotContain("Secr3t", lone.Stderr + lone.Stdout);
            return;
        }
        string study = $"verb-{Guid.NewGuid():N}", application = $"functional-verb-{Guid.NewGuid():N}";
        // The coordinator runs no trials here (--workers 0): two `search worker` processes do, knowing only the storage and the name.
        using var coordinator = ChildProcess.Start("dotnet",
            [Program, "search", "--stage", "coarse:16x3", "--stage", "fine:4x3", "--workers", "0", "--storage", server, "--study", study, "--plots", Path.Combine(dir, "plots")],
            dir, environment);
        var coordinatorOut = coordinator.StandardOutput.ReadToEndAsync();
        var coordinatorErr = coordinator.StandardError.ReadToEndAsync();
        using var store = StudyStorage.Open(server);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (long Id, string)? found;
        while ((found = store.FindStudy(study)) is null && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100);
        Assert.True(found is not null, "the coordinator did not create the study");
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => ChildProcess.Run("dotnet",
            [Program, "search", "worker", "--storage", $"{server}?ApplicationName={application}", "--study", study], TimeSpan.FromMinutes(4), dir, environment))).ToArray();

        // Once a trial is recorded, the server ends every session the workers hold (as a restart or an administrator would).
        while (!store.Trials(found.Value.Id).Any(t => t.State == TrialState.Complete) && clock.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(20);
        using (var admin = new NpgsqlConnection(Keywords(server)))
        {
            admin.Open();
            using var kill = new NpgsqlCommand("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @a", admin);
            kill.Parameters.AddWithValue("a", application);
            Assert.True(Convert.ToInt64(kill.ExecuteScalar(), CultureInfo.InvariantCulture) >= 1, "the workers held no session to end");
        }
        var outcomes = await Task.WhenAll(workers);
        Assert.True(coordinator.WaitForExit(TimeSpan.FromMinutes(2)), "the coordinator did not finish");
        string said = await coordinatorOut, complained = await coordinatorErr;
        foreach (var (code, stdout, stderr) in outcomes) Assert.True(code == 0, $"worker exit {code}: {stderr}\n{stdout}");
        Assert.True(coordinator.ExitCode == 0, $"exit {coordinator.ExitCode}: {complained}\n{said}");
        Assert.Contains("20 trials in", said);
        // Every trial finished, each on its first attempt: none lost with its session, none run or recorded twice.
        var trials = store.Trials(found.Value.Id);
        Assert.Equal(20, trials.Count);
        Assert.All(trials, t => Assert.True(t.State is TrialState.Complete or TrialState.Failed, $"trial {t.Number}: {t.State}"));
        Assert.All(trials, t => Assert.Equal(1, t.Attempts));
        Assert.Equal(21, File.ReadAllLines(Path.Combine(dir, "plots", $"search-{study}.csv")).Length);
    }

    private static string Keywords(string server)
    {
        var uri = new Uri(server);
        string[] user = uri.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host, Port = uri.Port, Database = uri.AbsolutePath.Trim('/'), Pooling = false,
            Username = Uri.UnescapeDataString(user[0]), Password = Uri.UnescapeDataString(user[1]),
        }.ToString();
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
