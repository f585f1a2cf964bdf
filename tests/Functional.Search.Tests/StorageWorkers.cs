// Runs several real worker processes on one study, SIGKILLs one mid-trial, and checks every trial was recorded exactly once (shared by the SQLite and PostgreSQL tests).
using System.Diagnostics;
using System.Text.RegularExpressions;
using Functional.Search.Storage;
using Functional.Search.Worker;
using Xunit.Abstractions;

namespace Functional.Search.Tests;

internal static partial class StorageWorkers
{
    private static readonly string Worker = Path.Combine(AppContext.BaseDirectory, "Functional.Search.Worker.dll");

    /// <summary>Starts the worker program with <paramref name="arguments"/>, output redirected, <paramref name="environment"/> added (or, when null, removed).</summary>
    public static Process Start(IEnumerable<string> arguments, IEnumerable<(string Name, string? Value)>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Worker);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        // A null value removes the variable, so the child does not inherit it.
        foreach (var (name, value) in environment ?? [])
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the worker");
    }

    /// <summary>Runs the worker to its end (killed, and the test failed, after two minutes): exit code, stdout, stderr.</summary>
    public static (int Code, string Stdout, string Stderr) Run(IEnumerable<string> arguments, IEnumerable<(string Name, string? Value)>? environment = null)
    {
        using var p = Start(arguments, environment);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the worker still runs after 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// <paramref name="workers"/> processes share a study of <paramref name="count"/> fake trials on <paramref name="storage"/>;
    /// with <paramref name="kill"/> the first (slow) one is SIGKILLed as soon as it has begun a trial. Then every trial
    /// is complete exactly once with its own score, only the killed trial was run twice, and no worker said "locked".
    /// </summary>
    public static void KillOneMidTrial(string storage, ITestOutputHelper output, int workers, int count, bool kill, int sleepMs = 5)
    {
        string study = $"workers-{Guid.NewGuid():N}";
        long id;
        using (var store = StudyStorage.Open(storage))
        {
            id = store.OpenStudy(study, FakeTrials.Definition);
            store.AddStage(id, 0, "{}", Enumerable.Range(0, count).Select(FakeTrials.Parameters).ToArray());
        }
        var clock = Stopwatch.StartNew();
        var processes = new List<Process>();
        var outputs = new List<(Task<string> Out, Task<string> Err)>();
        int? killedTrial = null;
        string victimOutput = "";
        try
        {
            for (int w = 0; w < workers; w++)
            {
                // The victim takes 400 ms per trial, so the kill lands inside one, and its trial is free again 1.5 s later. The
                // others hold 30 s leases: on 2 busy cores a store call can stall past 1.5 s, and a healthy worker losing its
                // lease (correctly refused, but run twice) is not what this test is about.
                bool victim = kill && w == 0;
                var p = Start(["work", storage, study, $"w{w}", victim ? "1500" : "30000", victim ? "400" : $"{sleepMs}"]);
                processes.Add(p);
                if (kill && w == 0)
                {
                    string line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the victim stopped: {p.StandardError.ReadToEnd()}");
                    Assert.StartsWith("start ", line);
                    killedTrial = int.Parse(line.Split(' ')[1]);
                    p.Kill();  // SIGKILL on Unix: no handler, no cleanup, the lease is simply left behind.
                    p.WaitForExit();
                    victimOutput = line + "\n" + p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                    outputs.Add((Task.FromResult(victimOutput), Task.FromResult("")));
                    continue;
                }
                outputs.Add((p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync()));
            }
            foreach (var p in processes)
                Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "a worker still runs after 2 minutes");
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;

        var done = new List<(int Trial, bool Recorded)>();
        long retries = 0, slowest = 0;
        for (int w = 0; w < workers; w++)
        {
            string stdout = outputs[w].Out.Result, stderr = outputs[w].Err.Result;
            Assert.DoesNotContain("locked", stdout + stderr, StringComparison.OrdinalIgnoreCase);
            if (!(kill && w == 0)) Assert.True(stderr.Length == 0, $"worker w{w} wrote to stderr: {stderr}");
            foreach (Match m in Done().Matches(stdout)) done.Add((int.Parse(m.Groups[1].Value), m.Groups[2].Value == "True"));
            foreach (Match m in Retries().Matches(stdout)) retries += long.Parse(m.Groups[1].Value);
            foreach (Match m in Slowest().Matches(stdout)) slowest = Math.Max(slowest, long.Parse(m.Groups[1].Value));
        }
        // Healthy workers never lose a lease, so every Complete they sent was recorded, each trial by exactly one of them.
        Assert.All(done, d => Assert.True(d.Recorded, $"trial {d.Trial}: Complete returned false"));
        Assert.Equal(Enumerable.Range(0, count), done.Select(d => d.Trial).Order());

        using var check = StudyStorage.Open(storage);
        var trials = check.Trials(id);
        Assert.Equal(count, trials.Count);
        Assert.All(trials, t => Assert.Equal((TrialState.Complete, (double?)FakeTrials.Score(t.ParametersJson)), (t.State, t.Score)));
        Assert.All(trials, t => Assert.Equal(t.Number == killedTrial ? 2 : 1, t.Attempts));
        Assert.All(check.IntermediateValues(id, 0, 1).Zip(trials), p => Assert.Equal(p.Item2.Score!.Value / 2, p.Item1));
        output.WriteLine($"{storage.Split(':')[0]}: {workers} worker processes, {count} trials of {sleepMs} ms" +
            (kill ? $", w0 SIGKILLed in trial {killedTrial} (re-run once its 1.5 s lease expired)" : "") +
            $": {seconds:F2} s from the first start to the last exit, {count / seconds:F1} trials/s; busy retries in the survivors: {retries}; slowest trial's store calls: {slowest} ms");
    }

    [GeneratedRegex(@"^done (\d+) (True|False)$", RegexOptions.Multiline)]
    private static partial Regex Done();

    [GeneratedRegex(@"^slowest (\d+)$", RegexOptions.Multiline)]
    private static partial Regex Slowest();

    [GeneratedRegex(@"^busy-retries (\d+)$", RegexOptions.Multiline)]
    private static partial Regex Retries();
}
