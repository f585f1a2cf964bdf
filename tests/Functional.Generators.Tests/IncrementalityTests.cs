// The generator's pipeline caches: re-runs on an equal or unrelatedly-changed compilation reuse every step, and no step keeps symbols or syntax.
using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Functional.Generators.Tests;

public sealed class IncrementalityTests
{
    private static readonly string[] TrackedStepNames = [TrackingNames.Specs, TrackingNames.Checked, TrackingNames.Valid];

    /// <summary>One bad declaration beside the good one, so the diagnostics path is cached too.</summary>
    private const string Broken = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Inputs = 4)]
        public sealed partial record Broken(
            [Dense(0)] Dense Scores);
        """;

    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void Rerun_on_a_cloned_compilation_is_cached(string name, string source)
    {
        var compilation = GeneratorHarness.Compile(source, Broken);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        driver = driver.RunGenerators((CSharpCompilation)compilation.Clone());

        AssertAllCached(driver.GetRunResult(), name + " after Clone()");
    }

    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void Rerun_after_adding_an_unrelated_file_is_cached(string name, string source)
    {
        var compilation = GeneratorHarness.Compile(source, Broken);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        driver = driver.RunGenerators((CSharpCompilation)compilation.Clone());

        var unrelated = CSharpSyntaxTree.ParseText("namespace Elsewhere; public static class Unrelated { public const int Answer = 42; }",
            GeneratorHarness.ParseOptions, path: "Unrelated.cs");
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(unrelated));

        AssertAllCached(driver.GetRunResult(), name + " after adding Unrelated.cs");
    }

    [Fact]
    public void Editing_the_declaration_is_seen_as_a_change()
    {
        // Guards the cached tests against passing vacuously: a real edit must not be reported as cached.
        var compilation = GeneratorHarness.Compile(Declarations.FashionMlp);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();
        var edited = tree.WithChangedText(tree.GetText().Replace(tree.ToString().IndexOf("Dense(128)", StringComparison.Ordinal) + 6, 3, "64"));

        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, edited));

        var specs = driver.GetRunResult().Results[0].TrackedSteps[TrackingNames.Specs];
        Assert.Contains(specs.SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Hidden2: dense 256 → 64", driver.GetRunResult().Results[0].GeneratedSources.Single().SourceText.ToString());
    }

    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void Step_outputs_hold_no_symbols_syntax_or_compilations(string name, string source)
    {
        var outcome = GeneratorHarness.Run(source, Broken);
        var steps = outcome.RunResult.Results[0].TrackedSteps;

        foreach (var stepName in TrackedStepNames)
        {
            Assert.True(steps.ContainsKey(stepName), $"{name}: no tracked step '{stepName}'");
            foreach (var step in steps[stepName])
                foreach (var (value, _) in step.Outputs)
                {
                    var found = ForbiddenReference.Find(value, $"{stepName}.output");
                    Assert.True(found is null, $"{name}: step '{stepName}' keeps {found}");
                }
        }
    }

    [Fact]
    public void The_reference_walk_finds_what_it_looks_for()
    {
        // A walker that never finds anything would make the test above pass forever: plant a Location and a symbol.
        var compilation = GeneratorHarness.Compile(Declarations.FashionMlp);
        var symbol = compilation.GetTypeByMetadataName("FashionExample.FashionMlp")!;
        var planted = new { Names = new[] { "a", "b" }, Nested = new List<object> { 1, (Tag: "x", Where: Location.None) } };
        var plantedSymbol = new KeyValuePair<string, object>("k", new object[] { symbol });

        Assert.NotNull(ForbiddenReference.Find(planted, "planted"));
        Assert.NotNull(ForbiddenReference.Find(plantedSymbol, "planted"));
        Assert.Null(ForbiddenReference.Find(new { Names = new[] { "a" }, N = 3 }, "clean"));
    }

    private static void AssertAllCached(GeneratorDriverRunResult result, string what)
    {
        var steps = result.Results[0].TrackedSteps;
        foreach (var stepName in TrackedStepNames)
        {
            Assert.True(steps.TryGetValue(stepName, out var runs) && runs.Length > 0, $"{what}: step '{stepName}' did not run");
            foreach (var run in runs)
                foreach (var (value, reason) in run.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"{what}: step '{stepName}' output {value} was {reason}");
        }
        foreach (var run in result.Results[0].TrackedOutputSteps.SelectMany(kv => kv.Value))
            foreach (var (_, reason) in run.Outputs)
                Assert.Equal(IncrementalStepRunReason.Cached, reason);
    }
}

/// <summary>
/// Walks an object graph (public and non-public instance fields and properties, arrays and sequences) looking for
/// Roslyn objects that must never be cached in a pipeline step: they pin a compilation and break equality.
/// </summary>
internal static class ForbiddenReference
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>The path to the first forbidden object inside <paramref name="root"/>, or null.</summary>
    public static string? Find(object? root, string rootPath)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        return Walk(root, rootPath, seen, depth: 0);
    }

    private static bool IsForbidden(object value) =>
        value is ISymbol or SyntaxNode or Compilation or SemanticModel or Location or SyntaxTree or SyntaxReference
            || value is SyntaxToken or SyntaxTrivia or SyntaxNodeOrToken;

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type.IsPointer || type == typeof(string) || type == typeof(decimal)
            || typeof(Type).IsAssignableFrom(type) || typeof(Delegate).IsAssignableFrom(type) || typeof(MemberInfo).IsAssignableFrom(type);

    private static string? Walk(object? value, string path, HashSet<object> seen, int depth)
    {
        if (value is null) return null;
        var type = value.GetType();
        if (IsForbidden(value)) return $"{type.FullName} at {path}";
        if (IsLeaf(type) || depth > 64) return null;
        if (!type.IsValueType && !seen.Add(value)) return null;

        if (value is IEnumerable sequence)
        {
            int i = 0;
            foreach (var item in sequence)
                if (Walk(item, $"{path}[{i++}]", seen, depth + 1) is { } found) return found;
        }

        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (var field in t.GetFields(Instance | BindingFlags.DeclaredOnly))
                if (!field.FieldType.IsPointer && Walk(field.GetValue(value), $"{path}.{field.Name}", seen, depth + 1) is { } found)
                    return found;
            foreach (var property in t.GetProperties(Instance | BindingFlags.DeclaredOnly))
            {
                if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.PropertyType.IsByRefLike || property.PropertyType.IsPointer) continue;
                object? propertyValue;
                try { propertyValue = property.GetValue(value); }
                catch (TargetInvocationException) { continue; }
                if (Walk(propertyValue, $"{path}.{property.Name}", seen, depth + 1) is { } found) return found;
            }
        }
        return null;
    }
}
