// Command-line conventions shared by every example program and the benchmarks: exit codes, and a bad value as one line naming the option and what it allows, exit code 2.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace Functional.Examples;

/// <summary>What every program returns; each program's --help says which of them it uses.</summary>
internal static class ExitCode
{
    public const int Ok = 0, CheckFailed = 1, Usage = 2, Interrupted = 130;

    /// <summary>The sentence each program's --help ends with.</summary>
    public const string Help = "Exit codes: 0 ok, 1 a check failed, 2 bad usage (one line on stderr naming the option), 130 interrupted.";
}

internal static class Cli
{
    /// <summary>Adds the check that a value is <paramref name="allowed"/> (said in the error as "--lr must be a positive finite number, got -1").</summary>
    public static Option<T> Require<T>(Option<T> option, Func<T, bool> ok, string allowed)
    {
        option.Validators.Add(result =>
        {
            // A token that did not convert already has its own error; reading its value would throw.
            if (result.Tokens.Count == 0 && result.Implicit || !TryValue(result, out T value)) return;
            if (!ok(value)) result.AddError($"{option.Name} must be {allowed}, got {Show(value)}");
        });
        return option;
    }

    private static string Show<T>(T value) =>
        value is System.Collections.IEnumerable many and not string ? string.Join(" ", many.Cast<object>()) : $"{value}";

    private static bool TryValue<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    /// <summary>Parses and runs; a mistake gets one line per error and exit code 2 — not the whole help (that is --help).</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0) return parsed.Invoke();
        // An option shared by the root and a verb reports its error once per command: say it once.
        foreach (var message in parsed.Errors.Select(e => e.Message).Distinct()) Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine("(see --help)");
        return ExitCode.Usage;
    }
}
