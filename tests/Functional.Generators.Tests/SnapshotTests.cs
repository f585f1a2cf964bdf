// Snapshots of the generated source for representative declarations, plus: it compiles, is deterministic, ignores culture.
using System.Globalization;

namespace Functional.Generators.Tests;

public sealed class SnapshotTests
{
    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void Generated_source_matches_snapshot(string name, string source)
    {
        var outcome = GeneratorHarness.Run(source);

        Assert.Empty(outcome.Exceptions);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Snapshot.Match(outcome.SingleSource, name);
    }

    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void Generated_source_compiles_with_the_declaration(string name, string source)
    {
        var outcome = GeneratorHarness.Run(source, GeneratorHarness.ImplicitUsings);

        Assert.Single(outcome.Sources);
        Assert.True(!outcome.OutputErrors.Any(), $"{name}: generated code does not compile:\n{GeneratorHarness.Describe(outcome.OutputErrors)}");
    }

    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void Generated_source_is_deterministic(string name, string source)
    {
        // Two independent drivers over two independent compilations: no state may leak between runs.
        string first = GeneratorHarness.Run(source).SingleSource;
        string second = GeneratorHarness.Run(source).SingleSource;

        Assert.True(first == second, $"{name}: two runs differ\n{Snapshot.FirstDifference(first, second)}");
    }

    [Fact]
    public void Batch_norm_on_the_loss_layer_is_accepted_and_described()
    {
        var outcome = GeneratorHarness.Run(Declarations.StagedScores, GeneratorHarness.ImplicitUsings);
        Assert.Empty(outcome.GeneratorDiagnostics);
        string description = string.Join("\n", outcome.SingleSource.Split('\n').TakeWhile(l => l.StartsWith("//", StringComparison.Ordinal)));
        Assert.Contains("Batch norm on the scores (Scores)", description, StringComparison.Ordinal);
        Assert.Contains("depends on the rest of its batch", description, StringComparison.Ordinal);
        Assert.Empty(outcome.OutputErrors);
    }

    [Fact]
    public void Explicit_init_overrides_the_default_for_the_activation()
    {
        // A linear layer defaults to Xavier; He written out must win, in the description and in Init.
        var outcome = GeneratorHarness.Run("""
            using Functional;
            using Functional.Dsl;

            [Network(Inputs = 6)]
            public sealed partial record Wide(
                [Dense(5, Init = Init.He)] Dense Linear,
                [Dense(4), Hinge] Dense Scores);
            """);

        string source = outcome.SingleSource;
        Assert.Contains("→ Linear: dense 6 → 5, linear; He init", source);
        Assert.Contains("new global::System.Span<float>(parameters, LinearWeights, 6 * 5), weights ?? global::Functional.Dsl.Init.He, fanIn: 6,", source);
        Assert.Contains("new global::System.Span<float>(parameters, ScoresWeights, 5 * 4), weights ?? global::Functional.Dsl.Init.Xavier, fanIn: 5,", source);
        Assert.Contains("→ Scores: dense 5 → 4, linear, then multiclass SVM hinge loss; Xavier init", source);
    }

    [Fact]
    public void Swish_is_Silu_by_another_name()
    {
        static string Declare(string activation) => $$"""
            using Functional;
            using Functional.Dsl;

            [Network(Inputs = 5)]
            public sealed partial record Net(
                [Dense(4), {{activation}}, Dropout(0.1f)] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """;
        string silu = GeneratorHarness.Run(Declare("Silu")).SingleSource, swish = GeneratorHarness.Run(Declare("Swish")).SingleSource;
        Assert.Contains("global::Functional.Kernels.Silu", swish, StringComparison.Ordinal);
        Assert.True(silu == swish, Snapshot.FirstDifference(silu, swish));
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("tr-TR")]
    [InlineData("ar-SA")]
    public void Generated_source_does_not_depend_on_the_current_culture(string cultureName)
    {
        var culture = CultureInfo.GetCultureInfo(cultureName);
        // Guard that the culture is real (not invariant-mode data), or this test would prove nothing.
        Assert.NotEqual(235146.ToString("N0", CultureInfo.InvariantCulture), 235146.ToString("N0", culture));

        string invariant = RunUnder(CultureInfo.InvariantCulture);
        string local = RunUnder(culture);

        Assert.True(invariant == local, $"{cultureName} changes the output\n{Snapshot.FirstDifference(invariant, local)}");
    }

    private static string RunUnder(CultureInfo culture)
    {
        var (culture0, ui0) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            return GeneratorHarness.Run(Declarations.FashionMlp).SingleSource;
        }
        finally
        {
            CultureInfo.CurrentCulture = culture0;
            CultureInfo.CurrentUICulture = ui0;
        }
    }
}
