// Every program other than FashionMnist (which CommandLineTests covers) keeps the command-line conventions: a bad value is one line naming the option, exit code 2, no stack trace, no help dump.

namespace Functional.Integration.Tests;

public sealed class CommandLineConventionsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("functional-conventions-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "InitExperiment.dll", "--no-such-option", "error: folder must be a directory name, not an option, got --no-such-option" },
        { "InitExperiment.dll", "a b", "error: Unrecognized command or argument 'b'." },
        { "Preprocessing.dll", "--epochs 0", "error: --epochs must be a positive whole number, got 0" },
        { "Preprocessing.dll", "--epochs x", "error: Cannot parse argument 'x' for option '--epochs'" },
        { "Preprocessing.dll", "--only PCA swish", "error: --only must be words from the variant names (" },
        { "Preprocessing.dll", "--data /no/such/directory", "error: --data must be an existing directory, got /no/such/directory" },
        { "Preprocessing.dll", "--no-such-option", "error: Unrecognized command or argument '--no-such-option'." },
        { "Preprocessing.dll", "wine --seeds 0", "error: --seeds must be a positive whole number, got 0" },
        { "Preprocessing.dll", "wine --data /no/such/wine.csv", "error: --data must be an existing file, got /no/such/wine.csv" },
        { "Functional.Benchmarks.dll", "compare --runs 0", "error: --runs must be a positive whole number, got 0" },
        { "Functional.Benchmarks.dll", "compare --figures epoch64,fast", "error: --figures must be a comma-separated list of epoch64, epoch64adam, epoch256, epoch64bn, infer1, step1, step1adam, cnn64, cnn64bn, cnninfer1 (or name@threads), got epoch64,fast" },
        { "Functional.Benchmarks.dll", "profile fastest", "error: what must be fusion, batchnorm, monitoring, adam, adambytes, update, census or comma-separated positive batch sizes, got fastest" },
        { "Functional.Benchmarks.dll", "profile 64 0", "error: numbers must be positive whole numbers, got 0" },
        { "Functional.Benchmarks.dll", "profile fusion 64 x", "error: numbers must be positive whole numbers, got 64 x" },
        { "Functional.Benchmarks.dll", "peak now", "error: Unrecognized command or argument 'now'." },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_is_one_line_naming_the_option_and_exit_code_2(string program, string arguments, string expected)
    {
        var (code, stdout, stderr) = Run(program, arguments.Split(' '), dir);
        Assert.Equal(2, code);
        Assert.StartsWith(expected, stderr);
        Assert.Single(stderr.Split('\n'), l => l.StartsWith("error:"));
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.DoesNotContain("data:", stdout); // refused before any data was loaded
        Assert.DoesNotContain("Usage:", stderr + stdout); // and without dumping the help
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir)); // nor anything written
    }

    [Theory]
    [InlineData("InitExperiment.dll")]
    [InlineData("Preprocessing.dll")]
    [InlineData("Functional.Benchmarks.dll")]
    public void Help_says_the_exit_codes_and_creates_nothing(string program)
    {
        var (code, stdout, stderr) = Run(program, ["--help"], dir);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("Exit codes: 0 ok, 1 a check failed, 2 bad usage", stdout);
        Assert.Equal("", stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir)); // InitExperiment once made a folder named "--help"
    }

    /// <summary>Runs a built program as a user does (<c>dotnet X.dll …</c>) in <paramref name="workingDirectory"/>.</summary>
    private static (int Code, string Stdout, string Stderr) Run(string program, string[] arguments, string workingDirectory)
    {
        var (code, stdout, stderr) = ChildProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, program), .. arguments], TimeSpan.FromMinutes(1), workingDirectory);
        return (code, stdout, stderr);
    }
}
