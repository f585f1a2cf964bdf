// Runs the [Network] generator over in-memory source text and gathers what it generated, reported and threw.
using System.Collections.Immutable;
using System.Reflection;
using Functional.Dsl;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Functional.Generators.Tests;

/// <summary>Everything one generator run produced, flattened for assertions: errors and warnings in <c>GeneratorDiagnostics</c>, info lines in <c>Infos</c>.</summary>
internal sealed record GeneratorOutcome(
    CSharpCompilation Input,
    Compilation Output,
    GeneratorDriver Driver,
    GeneratorDriverRunResult RunResult,
    ImmutableArray<(string HintName, string Text)> Sources,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Exception> Exceptions,
    ImmutableArray<Diagnostic> Infos)
{
    private readonly Lazy<ImmutableArray<Diagnostic>> outputDiagnostics = new(() => Output.GetDiagnostics());

    /// <summary>The declaration compiled with the generated code (computed on first use: binding every body is the slow part).</summary>
    public ImmutableArray<Diagnostic> OutputDiagnostics => outputDiagnostics.Value;

    /// <summary>The one generated file's text (fails the test if there is not exactly one).</summary>
    public string SingleSource => Assert.Single(Sources).Text;

    /// <summary>Errors of the declaration compiled together with the generated code.</summary>
    public IEnumerable<Diagnostic> OutputErrors => OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);
}

internal static class GeneratorHarness
{
    // DocumentationMode.Parse is what a project without GenerateDocumentationFile gets (Diagnose would also check the
    // generated XML docs, which currently trips CS0419 on the overloaded ComputeGradient cref).
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Parse);

    /// <summary>What a net10.0 project with ImplicitUsings sees: the usings a real consumer of the generator has.</summary>
    public const string ImplicitUsings = """
        // Mirrors the SDK's ImplicitUsings for a console/library project.
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    // No unsafe code: a consumer must not need AllowUnsafeBlocks to use the generator.
    private static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary,
        allowUnsafe: false,
        nullableContextOptions: NullableContextOptions.Enable,
        deterministic: true);

    // Metadata references are expensive to load; every test shares one set.
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>
    /// The shared framework (from the trusted platform assemblies), Functional.Dsl, Functional.Runtime and the
    /// assemblies Runtime depends on: what a consumer project compiles against, without xunit or Roslyn.
    /// </summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        string frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var byName = trusted.GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in trusted)
            if (string.Equals(Path.GetDirectoryName(path), frameworkDir, StringComparison.Ordinal)) paths.Add(path);
        var runtime = typeof(global::Functional.Dense).Assembly;
        paths.Add(typeof(NetworkAttribute).Assembly.Location);
        paths.Add(runtime.Location);
        foreach (AssemblyName dependency in runtime.GetReferencedAssemblies())
            if (dependency.Name is { } name && byName.TryGetValue(name, out var path)) paths.Add(path);

        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    /// <summary>A compilation of <paramref name="sources"/>, named Input0.cs, Input1.cs, … so locations can be asserted.</summary>
    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "Functional.Generators.TestInput",
            sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"Input{i}.cs")),
            References.Value,
            CompilationOptions);

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new NetworkGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs a fresh driver over <paramref name="sources"/>.</summary>
    public static GeneratorOutcome Run(params string[] sources) => Run(CreateDriver(), Compile(sources));

    /// <summary>Runs <paramref name="driver"/> (fresh or from an earlier run) over <paramref name="compilation"/>.</summary>
    public static GeneratorOutcome Run(GeneratorDriver driver, CSharpCompilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult();
        var sources = result.Results.SelectMany(r => r.GeneratedSources)
            .Select(s => (s.HintName, s.SourceText.ToString()))
            .ToImmutableArray();
        var exceptions = result.Results.Where(r => r.Exception is not null).Select(r => r.Exception!).ToImmutableArray();
        // Every valid network gets FN0039's info line (its size); tests of errors and warnings look at the rest.
        var infos = generatorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Info).ToImmutableArray();
        return new GeneratorOutcome(compilation, output, driver, result, sources,
            generatorDiagnostics.Where(d => d.Severity != DiagnosticSeverity.Info).ToImmutableArray(), exceptions, infos);
    }

    /// <summary>Readable list of diagnostics for assertion messages.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));
}
