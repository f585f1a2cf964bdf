// Starts programs as a user does (dotnet X.dll, bash -c …) for the tests that run them: output captured, a time limit, no leftover process.
using System.Diagnostics;

namespace Functional.Integration.Tests;

internal static class ChildProcess
{
    /// <summary>What a finished program left: its exit code and everything it wrote.</summary>
    public readonly record struct Outcome(int Code, string Stdout, string Stderr);

    /// <summary>Starts <paramref name="file"/> with <paramref name="arguments"/>, output redirected, in <paramref name="directory"/> with <paramref name="environment"/> added.</summary>
    public static Process Start(string file, IEnumerable<string> arguments, string? directory = null, IEnumerable<(string Name, string Value)>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null) info.WorkingDirectory = directory;
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? []) info.Environment[name] = value;
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }

    /// <summary>Runs it to the end; one still running after <paramref name="limit"/> is killed with its children and fails the test.</summary>
    public static Outcome Run(string file, IEnumerable<string> arguments, TimeSpan limit, string? directory = null, IEnumerable<(string Name, string Value)>? environment = null)
    {
        using var process = Start(file, arguments, directory, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', process.StartInfo.ArgumentList)} still running after {limit.TotalSeconds:N0} s");
        }
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The repository's root (where Functional.sln is), found from the test's output folder.</summary>
    public static string Repository()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Functional.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("Functional.sln not found above " + AppContext.BaseDirectory);
    }
}
