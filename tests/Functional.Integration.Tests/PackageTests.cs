// Packs the Functional packages and uses them as a new user would: fresh console projects, `dotnet add package`, build, run.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

/// <summary>
/// The one test that sees the repository from outside: `dotnet pack` of the three packages into a local folder, then brand-new
/// console projects that reference nothing but the package (restored into a private NUGET_PACKAGES, so no stale copy of
/// Functional in the global cache is used). The XOR program trains, predicts, saves and loads a model; a malformed
/// network must fail the build with the generator's own diagnostic; a program on Functional.Search and Functional.Monitoring
/// alone runs a study in SQLite and writes a report; every ```csharp block of README.md is built and run.
/// Everything runs in a temporary folder outside the repository (pack's bin and obj go to an artifacts folder there).
/// </summary>
[Trait("Category", "Package")]
public sealed partial class PackageTests(ITestOutputHelper output) : IDisposable
{
    private const string FashionMnistDirectory = "FASHION_MNIST_DIR";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);
    private readonly string work = Directory.CreateTempSubdirectory("functional-package-").FullName;
    private readonly StringBuilder log = new();

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public void The_packed_package_builds_trains_saves_loads_and_refuses_a_malformed_network()
    {
        string root = RepositoryRoot();
        string feed = Path.Combine(work, "feed");
        foreach (var project in new[] { "Runtime/Functional.Runtime.csproj", "Monitoring/Functional.Monitoring.csproj", "Search/Functional.Search.csproj" })
            Run(work, "pack", Path.Combine(root, "src", project), "-c", "Release", "-o", feed, "--artifacts-path", Path.Combine(work, "artifacts"));
        Assert.Equal(["Functional.0.1.0.nupkg", "Functional.0.1.0.snupkg", "Functional.Monitoring.0.1.0.nupkg", "Functional.Monitoring.0.1.0.snupkg",
                      "Functional.Search.0.1.0.nupkg", "Functional.Search.0.1.0.snupkg"],
            Directory.GetFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var package = ZipFile.OpenRead(Path.Combine(feed, "Functional.0.1.0.nupkg")))
        {
            var entries = package.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var expected in new[] { "analyzers/dotnet/cs/Functional.Generators.dll", "lib/net10.0/Functional.Runtime.dll",
                                             "lib/net10.0/Functional.Dsl.dll", "README.md" })
                Assert.True(entries.Contains(expected), Failure($"the package has no {expected}: {string.Join(", ", entries.Order())}"));
        }
        WriteNuGetConfig(feed);

        string app = NewConsoleProject("Xor");
        File.Copy(Path.Combine(root, "tests", "Functional.Integration.Tests", "PackageConsumer", "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);
        string printed = Run(app, "run");
        Assert.True(printed.Contains("accuracy 100.0%", StringComparison.Ordinal), Failure("XOR not learned"));
        Assert.True(printed.Contains("predictions 0 1 1 0", StringComparison.Ordinal), Failure("wrong predictions"));
        Assert.True(printed.Contains("loaded predictions 0 1 1 0", StringComparison.Ordinal), Failure("the loaded model predicts differently"));
        Assert.True(printed.Contains("loaded parameters identical True", StringComparison.Ordinal), Failure("the loaded parameters differ"));

        // The same project with a malformed network: the packaged generator reports it as a compile error.
        File.Copy(Path.Combine(root, "tests", "Functional.Integration.Tests", "PackageConsumer", "Broken.cs"), Path.Combine(app, "Broken.cs"));
        var (exit, refused) = Start(app, ["build", "--no-restore"]);
        Assert.True(exit != 0, Failure("a network with a 0-wide layer built"));
        Assert.True(refused.Contains("error FN0002", StringComparison.Ordinal), Failure("the build failed, but not with FN0002"));

        // Search and monitoring from their own packages alone: the dependency on Functional brings the generator with it.
        string extras = NewConsoleProject("Extras", "Functional.Search", "Functional.Monitoring");
        File.Copy(Path.Combine(root, "tests", "Functional.Integration.Tests", "PackageConsumer", "Extras", "Program.cs"), Path.Combine(extras, "Program.cs"), overwrite: true);
        string searched = Run(extras, "run");
        Assert.True(searched.Contains("trials recorded 9", StringComparison.Ordinal), Failure("the SQLite study did not record its 6 + 3 trials"));
        Assert.True(Regex.Match(searched, @"best score (\d\.\d+)") is { Success: true } best
            && double.Parse(best.Groups[1].Value, CultureInfo.InvariantCulture) > 0.8, Failure("the search's best score is not above 0.8"));
        Assert.True(Regex.Match(searched, @"report written True with (\d+) pictures") is { Success: true } pictures
            && int.Parse(pictures.Groups[1].Value, CultureInfo.InvariantCulture) >= 3, Failure("the report or its pictures were not written"));

        var blocks = CSharpBlocks().Matches(File.ReadAllText(Path.Combine(root, "README.md")));
        Assert.NotEmpty(blocks);
        for (int i = 0; i < blocks.Count; i++)
        {
            string readme = NewConsoleProject($"Readme{i + 1}");
            File.WriteAllText(Path.Combine(readme, "Program.cs"), blocks[i].Groups[1].Value);
            // Run on the built-in subset's files (through $FASHION_MNIST_DIR) whatever is installed: the README's program
            // must work there too, and 10 epochs of the full set would take a minute of this test.
            string ran = Run(readme, ["run", "-c", "Release"], (FashionMnistDirectory, Path.Combine(root, "data", "fashion-mnist-subset")));
            // The README's main program ends by printing the test accuracy.
            if (i == 0)
            {
                string last = ran.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
                Assert.True(double.TryParse(last, NumberStyles.Float, CultureInfo.InvariantCulture, out double accuracy) && accuracy > 0.7,
                    Failure($"the README program's last line is not a test accuracy above 0.7: {last}"));
            }
        }
    }

    /// <summary>`dotnet new console` and `dotnet add package` of <paramref name="packages"/> (Functional unless given), nothing else.</summary>
    private string NewConsoleProject(string name, params string[] packages)
    {
        Run(work, "new", "console", "-o", name, "--no-update-check");
        string dir = Path.Combine(work, name);
        foreach (var package in packages is [] ? ["Functional"] : packages)
            Run(dir, "add", "package", package, "--version", "0.1.0");
        return dir;
    }

    /// <summary>
    /// The local feed for Functional (and only for it, so no other source's package of that name is taken), plus every
    /// source this machine already uses for everything else.
    /// </summary>
    private void WriteNuGetConfig(string feed)
    {
        var sources = Run(work, "nuget", "list", "source", "--format", "short")
            .Split('\n', StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("E ", StringComparison.Ordinal))
            .Select(line => line[2..].Trim())
            .ToList();
        if (sources.Count == 0) sources.Add("https://api.nuget.org/v3/index.json"); // NuGet's own default, for a machine with no config yet
        var config = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n");
        config.Append($"    <add key=\"functional-local\" value=\"{feed}\" />\n");
        for (int i = 0; i < sources.Count; i++) config.Append($"    <add key=\"machine{i}\" value=\"{sources[i]}\" />\n");
        config.Append("  </packageSources>\n  <packageSourceMapping>\n");
        config.Append("    <packageSource key=\"functional-local\"><package pattern=\"Functional\" /><package pattern=\"Functional.*\" /></packageSource>\n");
        for (int i = 0; i < sources.Count; i++) config.Append($"    <packageSource key=\"machine{i}\"><package pattern=\"*\" /></packageSource>\n");
        config.Append("  </packageSourceMapping>\n</configuration>\n");
        File.WriteAllText(Path.Combine(work, "nuget.config"), config.ToString());
        // Keep the repository's and any other parent folder's MSBuild settings out of the new projects.
        File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />\n");
        log.AppendLine($"nuget.config:\n{config}");
    }

    /// <summary>Runs dotnet and returns what it printed; a non-zero exit fails the test with everything printed so far.</summary>
    private string Run(string directory, params string[] arguments) => Run(directory, arguments, []);

    private string Run(string directory, string[] arguments, params (string Name, string Value)[] environment)
    {
        var (exit, printed) = Start(directory, arguments, environment);
        Assert.True(exit == 0, Failure($"dotnet {string.Join(' ', arguments)} exited with {exit}"));
        return printed;
    }

    private (int Exit, string Printed) Start(string directory, string[] arguments, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(DotnetHost()) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        // The test host's MSBuild variables would point a nested dotnet at the outer build's MSBuild.
        foreach (var name in new[] { "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            info.Environment.Remove(name);
        info.Environment["NUGET_PACKAGES"] = Path.Combine(work, "packages");
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // no build server outlives the test
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment.Remove(FashionMnistDirectory);
        foreach (var (name, value) in environment) info.Environment[name] = value;

        var clock = Stopwatch.StartNew();
        var printed = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (printed) printed.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (printed) printed.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(StepTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            log.AppendLine($"$ dotnet {string.Join(' ', arguments)}  (in {directory}) TIMED OUT after {StepTimeout}\n{printed}");
            Assert.Fail(Failure($"dotnet {string.Join(' ', arguments)} took longer than {StepTimeout}"));
        }
        process.WaitForExit(); // drains the redirected output
        string text;
        lock (printed) text = printed.ToString();
        string step = $"$ dotnet {string.Join(' ', arguments)}  (in {directory}): exit {process.ExitCode}, {clock.Elapsed.TotalSeconds:F1} s";
        output.WriteLine(step);
        log.AppendLine(step).AppendLine(text);
        return (process.ExitCode, text);
    }

    private string Failure(string what) => $"{what}. Everything run so far:\n{log}";

    /// <summary>The dotnet that runs the tests (the SDK sets DOTNET_HOST_PATH for its children), else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlocks();
}
