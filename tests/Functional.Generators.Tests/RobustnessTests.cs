// Half-typed and malformed declarations: the generator may report diagnostics or stay silent, but it must never throw.
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Tests;

public sealed class RobustnessTests
{
    private const string Header = "using Functional;\nusing Functional.Dsl;\n\n";

    private static readonly Dictionary<string, string> Broken = new()
    {
        ["missing closing paren"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores
            """,
        ["Dense without units"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(), Hinge] Dense Scores);
            """,
        ["Dense with a string"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense("x"), Hinge] Dense Scores);
            """,
        ["Dense(int.MaxValue)"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(8), Relu] Dense Hidden, [Dense(int.MaxValue), Hinge] Dense Scores);
            """,
        ["Dense with two arguments"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(2, 3), Hinge] Dense Scores);
            """,
        ["Dense with a half-typed Init"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3, Init = ), Hinge] Dense Scores);
            """,
        ["Dense with an unknown Init"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3, Init = Init.Lecun), Hinge] Dense Scores);
            """,
        ["Dense with an out-of-range Init"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3, Init = (Init)42), Hinge] Dense Scores);
            """,
        ["unknown attribute names"] = """
            [Network(Inputs = 4), Frobnicate]
            public sealed partial record Net([Dense(8), Softsign] Dense Hidden, [Dense(3), Hinge, Dropout(0.5)] Dense Scores);
            """,
        ["Inputs = nothing"] = """
            [Network(Inputs = )]
            public sealed partial record Net([Dense(3), Hinge] Dense Scores);
            """,
        ["Inputs is a string"] = """
            [Network(Inputs = "784")]
            public sealed partial record Net([Dense(3), Hinge] Dense Scores);
            """,
        ["Inputs divides by zero"] = """
            [Network(Inputs = 1 / 0)]
            public sealed partial record Net([Dense(3), Hinge] Dense Scores);
            """,
        ["Inputs given twice"] = """
            [Network(Inputs = 4, Inputs = 5)]
            public sealed partial record Net([Dense(3), Hinge] Dense Scores);
            """,
        ["Network with a positional argument"] = """
            [Network(784)]
            public sealed partial record Net([Dense(3), Hinge] Dense Scores);
            """,
        ["record with no parameter list"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net;
            """,
        ["record with no name"] = """
            [Network(Inputs = 4)]
            public sealed partial record ([Dense(3), Hinge] Dense Scores);
            """,
        ["parameter with no type"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3), Hinge] Scores);
            """,
        ["parameter of an undefined type"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3), Hinge] Dens Scores);
            """,
        ["attributes on nothing"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3), Hinge]);
            """,
        ["trailing comma"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3), Hinge] Dense Scores,);
            """,
        ["generic record"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net<T>([Dense(3), Hinge] Dense Scores) where T : struct;
            """,
        ["only [Network] in the file"] = """
            [Network]
            """,
        ["only [Network(Inputs = 4)] at the end of a namespace"] = """
            namespace Samples;
            [Network(Inputs = 4)]
            """,
        ["duplicate parameter names"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(8), Relu] Dense A, [Dense(3), Hinge] Dense A);
            """,
        ["params array of layers"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3), Hinge] params Dense[] Scores);
            """,
        ["ref and out parameters"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(8)] ref Dense Hidden, [Dense(3), Hinge] out Dense Scores);
            """,
        ["[Network] on an enum, a delegate and an interface"] = """
            [Network(Inputs = 4)] public enum Colour { Red }
            [Network(Inputs = 4)] public delegate void Callback();
            [Network(Inputs = 4)] public partial interface IModel { }
            """,
        ["[Network] on a method's local declaration"] = """
            public static class Holder
            {
                public static void M()
                {
                    [Network(Inputs = 4)] record Local([Dense(3), Hinge] Dense Scores);
                }
            }
            """,
        ["record inheriting from itself"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3), Hinge] Dense Scores) : Net(Scores);
            """,
        ["keyword as a layer name"] = """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(3), Hinge] Dense @class);
            """,
        ["containing type half-typed"] = """
            public partial class Outer<
            {
                [Network(Inputs = 4)]
                public sealed partial record Net([Dense(3), Hinge] Dense Scores);
            """,
        ["unbalanced braces everywhere"] = """
            namespace A { namespace B {
            [Network(Inputs = 4)] public sealed partial record Net([Dense(8)] Dense H, [Dense(3), Hinge] Dense S) {
                public int X => ;
            """,
    };

    public static TheoryData<string> CaseNames => [.. Broken.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Broken_declaration_does_not_crash_the_generator(string caseName)
    {
        var outcome = GeneratorHarness.Run(Header + Broken[caseName]);

        AssertDidNotThrow(outcome.RunResult, caseName);
        // The driver reports a generator's crash (CS8785) among its own diagnostics, not the compilation's.
        AssertNoCrashDiagnostic(outcome.GeneratorDiagnostics, caseName);
    }

    [Fact]
    public void Typing_the_declaration_one_piece_at_a_time_never_crashes()
    {
        // What the IDE does: the same driver re-runs on every prefix of the file while it is being typed.
        string full = Declarations.FashionMlp;
        var driver = GeneratorHarness.CreateDriver();
        var compilation = GeneratorHarness.Compile("");
        var tree = compilation.SyntaxTrees.Single();
        for (int length = 0; length <= full.Length; length += 5)
        {
            var typed = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(full.Substring(0, length)));
            compilation = compilation.ReplaceSyntaxTree(tree, typed);
            tree = typed;
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics);

            string what = $"after typing {length} characters: ...{full.Substring(Math.Max(0, length - 30), Math.Min(30, length))}";
            AssertDidNotThrow(driver.GetRunResult(), what);
            AssertNoCrashDiagnostic(diagnostics, what);
        }
    }

    private static void AssertDidNotThrow(GeneratorDriverRunResult result, string what)
    {
        var generator = Assert.Single(result.Results);
        Assert.True(generator.Exception is null, $"{what}: the generator threw {generator.Exception}");
    }

    private static void AssertNoCrashDiagnostic(IEnumerable<Diagnostic> diagnostics, string what)
    {
        // CS8784/CS8785: a generator failed to initialize / to generate; AD0001: an analyzer threw.
        var crashes = diagnostics.Where(d => d.Id is "CS8784" or "CS8785" or "AD0001").ToList();
        Assert.True(crashes.Count == 0, $"{what}: {GeneratorHarness.Describe(crashes)}");
    }
}
