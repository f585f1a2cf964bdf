// The fake trials the storage tests and the worker processes agree on: parameters {"x": X} and a score that is a known function of them.
using System.Text.Json;

namespace Functional.Search.Worker;

/// <summary>The fake search both the tests and the workers agree on: trials {"x": X} whose score is a known function of X.</summary>
public static class FakeTrials
{
    /// <summary>The study definition the workers open with.</summary>
    public const string Definition = """{"space":{"x":"0..100"},"stages":1}""";

    /// <summary>Trial parameters for x = <paramref name="x"/>.</summary>
    public static string Parameters(int x) => $$"""{"x":{{x}}}""";

    /// <summary>The score of a trial: 1/(1+x), so each trial's result is checkable.</summary>
    public static double Score(string parametersJson)
    {
        using var d = JsonDocument.Parse(parametersJson);
        return d.RootElement.TryGetProperty("x", out var x) ? 1.0 / (1 + x.GetInt32()) : 0;
    }
}
