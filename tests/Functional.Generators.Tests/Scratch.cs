// scratch exploration, to be deleted
using Xunit.Abstractions;
namespace Functional.Generators.Tests;
public sealed class Scratch(ITestOutputHelper o)
{
    const string H = "using Functional;\nusing Functional.Dsl;\n";
    public static TheoryData<string, string> Cases => new()
    {
        { "no-usings", Declarations.FashionMlp },
        { "generic", H + "[Network(Inputs = 4)] public sealed partial record Net<T>([Dense(3), Hinge] Dense Scores);" },
        { "generic+plain", H + "[Network(Inputs = 4)] public sealed partial record Net<T>([Dense(3), Hinge] Dense Scores);\n[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Scores);" },
        { "two-parts", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Scores);\n[Network(Inputs = 4)] public sealed partial record Net;" },
        { "generic-outer", H + "public partial class Outer<T> { [Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Scores); }" },
        { "no-params", H + "[Network(Inputs = 4)] public sealed partial record Net;" },
        { "no-params-body", H + "[Network(Inputs = 4)] public sealed partial record Net { }" },
        { "layer-Init", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Init);" },
        { "layer-Parameters", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Parameters);" },
        { "layer-@class", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense @class);" },
        { "overflow", H + "[Network(Inputs = 100000)] public sealed partial record Net([Dense(100000), Hinge] Dense Scores);" },
        { "maxvalue", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(int.MaxValue), Hinge] Dense Scores);" },
        { "relu-last", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(5), Relu] Dense A, [Dense(3), Relu, Hinge] Dense Scores);" },
        { "interface", H + "[Network(Inputs = 4)] public partial interface INet { }" },
        { "dup-names", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(5)] Dense A, [Dense(3), Hinge] Dense A);" },
        { "split", H + "[Network(Inputs = 4)] public sealed partial record Net;\npublic sealed partial record Net([Dense(3), Hinge] Dense Scores);" },
        { "default-param", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Scores = null!);" },
        { "nullable-dense", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense? Scores);" },
        { "unsafe-off", Declarations.FashionMlp },
        { "init-bad", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3, Init = (Init)7), Hinge] Dense Scores);" },
        { "record-struct-container", H + "public partial record struct Outer { [Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Scores); }" },
        { "global-ns-nested", H + "public partial class Outer { [Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Scores); }" },
        { "abstract", H + "[Network(Inputs = 4)] public abstract partial record Net([Dense(3), Hinge] Dense Scores);" },
        { "file-local", H + "[Network(Inputs = 4)] file sealed partial record Net([Dense(3), Hinge] Dense Scores);" },
        { "two-in-one-ns", H + "namespace A { [Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] Dense Scores); }\nnamespace A { public partial class Net2 {} }" },
        { "params", H + "[Network(Inputs = 4)] public sealed partial record Net([Dense(3), Hinge] params Dense[] Scores);" },
        { "explicit-inputs-zero", H + "[Network(Inputs = 0)] public sealed partial record Net([Dense(3), Hinge] Dense Scores);" },
    };
    [Theory, MemberData(nameof(Cases))]
    public void Explore(string name, string src)
    {
        var outcome = name == "no-usings" ? GeneratorHarness.Run(src) : GeneratorHarness.Run(src, GeneratorHarness.ImplicitUsings);
        o.WriteLine($"== {name}: exceptions {outcome.Exceptions.Length} {string.Join(";", outcome.Exceptions.Select(e => e.Message))}");
        o.WriteLine("sources: " + string.Join(", ", outcome.Sources.Select(s => s.HintName)));
        o.WriteLine("gen diags:\n" + GeneratorHarness.Describe(outcome.GeneratorDiagnostics));
        o.WriteLine("input errors:\n" + GeneratorHarness.Describe(outcome.Input.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)));
        o.WriteLine("output errors:\n" + GeneratorHarness.Describe(outcome.OutputErrors.Take(8)));
        if (name is "overflow" or "maxvalue") o.WriteLine(outcome.Sources.FirstOrDefault().Text?.Substring(0, 1500));
    }
}
