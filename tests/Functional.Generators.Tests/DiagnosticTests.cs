// One bad declaration per diagnostic in the catalog: the right ID, at the right place, naming the culprit; and the catalog's doc pages exist.
using System.Runtime.CompilerServices;
using Functional.Generators.Checking;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Tests;

public sealed class DiagnosticTests
{
    private const string Header = "using Functional;\nusing Functional.Dsl;\n\n";
    private const int HeaderLines = 3;

    /// <param name="Id">The diagnostic that must fire, exactly once.</param>
    /// <param name="Body">Declaration after the usings; <paramref name="Line"/> counts from its first line (1).</param>
    /// <param name="At">The identifier the diagnostic must point at.</param>
    /// <param name="MessageContains">Names the message must mention.</param>
    /// <param name="AlsoFires">Other IDs that legitimately fire on the same input (empty for most).</param>
    public sealed record Case(string Id, string Body, int Line, string At, string[] MessageContains, string[]? AlsoFires = null);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["FN0001 record without parameter list"] = new("FN0001", """
            [Network(Inputs = 4)]
            public sealed partial record Empty;
            """, 2, "Empty", ["Empty"]),
        ["FN0001 empty parameter list"] = new("FN0001", """
            [Network(Inputs = 4)]
            public sealed partial record Empty();
            """, 2, "Empty", ["Empty"]),
        ["FN0002 layer of width 0"] = new("FN0002", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(0), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "0"]),
        ["FN0002 layer of negative width"] = new("FN0002", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(-3), Hinge] Dense Scores);
            """, 4, "Scores", ["Scores", "-3"]),
        ["FN0002 Inputs = 0"] = new("FN0002", """
            [Network(Inputs = 0)]
            public sealed partial record ZeroIn(
                [Dense(3), Hinge] Dense Scores);
            """, 2, "ZeroIn", ["ZeroIn", "Inputs", "0"]),
        ["FN0002 negative Inputs"] = new("FN0002", """
            [Network(Inputs = -784)]
            public sealed partial record NegativeIn(
                [Dense(3), Hinge] Dense Scores);
            """, 2, "NegativeIn", ["NegativeIn", "-784"]),
        ["FN0003 no loss"] = new("FN0003", """
            [Network(Inputs = 4)]
            public sealed partial record Lossless(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3)] Dense Output);
            """, 2, "Lossless", ["Lossless", "Output"]),
        ["FN0004 two losses"] = new("FN0004", """
            [Network(Inputs = 4)]
            public sealed partial record Greedy(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Hinge, SoftmaxCrossEntropy] Dense Scores);
            """, 4, "Scores", ["Greedy", "Hinge", "SoftmaxCrossEntropy"]),
        ["FN0005 loss on a hidden layer"] = new("FN0005", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), SoftmaxCrossEntropy] Dense Early,
                [Dense(3)] Dense Scores);
            """, 3, "Early", ["Early", "Scores"]),
        ["FN0006 record not partial"] = new("FN0006", """
            [Network(Inputs = 4)]
            public sealed record Whole(
                [Dense(3), Hinge] Dense Scores);
            """, 2, "Whole", ["Whole"]),
        ["FN0007 on a class"] = new("FN0007", """
            [Network(Inputs = 4)]
            public sealed partial class Plain
            {
            }
            """, 2, "Plain", ["Plain", "class"]),
        ["FN0007 on a struct"] = new("FN0007", """
            [Network(Inputs = 4)]
            public partial struct Packed
            {
            }
            """, 2, "Packed", ["Packed", "struct"]),
        ["FN0007 on a record struct"] = new("FN0007", """
            [Network(Inputs = 4)]
            public partial record struct ByValue(
                [Dense(3), Hinge] Dense Scores);
            """, 2, "ByValue", ["ByValue", "record struct"]),
        ["FN0008 parameter of another type"] = new("FN0008", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Hinge] float[] Scores);
            """, 4, "Scores", ["Scores", "Net", "float[]"]),
        ["FN0008 Dense without [Dense]"] = new("FN0008", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "Net", "without [Dense]"]),
        ["FN0009 two activations"] = new("FN0009", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu, SquarePlus] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);

            public sealed class SquarePlusAttribute : ActivationAttribute;
            """, 3, "Hidden", ["Hidden", "Relu", "SquarePlus"], AlsoFires: ["FN0013"]),
        ["FN0010 Inputs not set"] = new("FN0010", """
            [Network]
            public sealed partial record Shapeless(
                [Dense(3), Hinge] Dense Scores);
            """, 2, "Shapeless", ["Shapeless", "Inputs"]),
        ["FN0011 containing type not partial"] = new("FN0011", """
            public static class Zoo
            {
                [Network(Inputs = 4)]
                public sealed partial record Net(
                    [Dense(3), Hinge] Dense Scores);
            }
            """, 1, "Zoo", ["Zoo", "Net"]),
        ["FN0011 outer of two containing types not partial"] = new("FN0011", """
            public class Outer
            {
                public partial class Inner
                {
                    [Network(Inputs = 4)]
                    public sealed partial record Net(
                        [Dense(3), Hinge] Dense Scores);
                }
            }
            """, 1, "Outer", ["Outer", "Net"]),
        ["FN0012 loss layer with one output"] = new("FN0012", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(1), SoftmaxCrossEntropy] Dense Probability);
            """, 4, "Probability", ["Probability", "1"]),
        ["FN0013 user-defined activation"] = new("FN0013", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Mish] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);

            public sealed class MishAttribute : ActivationAttribute;
            """, 3, "Hidden", ["Hidden", "Mish", "Relu", "Gelu", "Silu", "Swish"]),
        // A user's own attribute named like one of ours is still the user's: it has no kernel behind it.
        ["FN0013 user-defined activation named like a supported one"] = new("FN0013", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Swish] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);

            public sealed class SwishAttribute : ActivationAttribute;
            """, 3, "Hidden", ["Hidden", "global::Swish", "Silu"]),
        ["FN0013 user-defined loss"] = new("FN0013", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Focal] Dense Scores);

            public sealed class FocalAttribute : LossAttribute;
            """, 4, "Scores", ["Scores", "Focal", "Hinge"]),
        ["FN0014 maxout with one piece"] = new("FN0014", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Maxout(1)] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "k = 1"]),
        ["FN0015 dropout of one"] = new("FN0015", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu, Dropout(1f)] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "1"]),
        ["FN0015 negative dropout"] = new("FN0015", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu, Dropout(-0.1f)] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "-0.1"]),
        ["FN0016 ELU with alpha 0"] = new("FN0016", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Elu(Alpha = 0f)] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "α = 0"]),
        ["FN0017 batch norm on width 1"] = new("FN0017", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(1), BatchNorm, Relu] Dense Bottleneck,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Bottleneck", ["Bottleneck", "1 output"]),
        ["FN0018 activation after the loss"] = new("FN0018", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), SoftmaxCrossEntropy, Relu] Dense Scores);
            """, 4, "Scores", ["Scores", "Relu", "SoftmaxCrossEntropy"]),
        ["FN0021 leaky slope above 1"] = new("FN0021", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), LeakyRelu(Slope = 1.5f)] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "1.5"]),
        ["FN0022 dropout on the loss layer"] = new("FN0022", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), SoftmaxCrossEntropy, Dropout(0.5f)] Dense Scores);
            """, 4, "Scores", ["Scores"]),
        ["FN0023 batch-norm momentum 0"] = new("FN0023", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), BatchNorm(Momentum = 0f), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "Momentum", "0"]),
        ["FN0023 SmallRandom with a negative std"] = new("FN0023", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8, Init = Init.SmallRandom, InitStd = -1f), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "InitStd", "-1"]),
        ["FN0024 generic record"] = new("FN0024", """
            [Network(Inputs = 4)]
            public sealed partial record Net<T>(
                [Dense(3), Hinge] Dense Scores);
            """, 2, "Net", ["Net", "generic"]),
        ["FN0024 abstract record"] = new("FN0024", """
            [Network(Inputs = 4)]
            public abstract partial record Net(
                [Dense(3), Hinge] Dense Scores);
            """, 2, "Net", ["Net", "abstract"]),
        ["FN0024 nested in a generic type"] = new("FN0024", """
            public partial class Outer<T>
            {
                [Network(Inputs = 4)]
                public sealed partial record Net(
                    [Dense(3), Hinge] Dense Scores);
            }
            """, 4, "Net", ["Net", "Outer"]),
        ["FN0025 layer named like a generated member"] = new("FN0025", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Parameters,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Parameters", ["Parameters", "Net"]),
        ["FN0025 layer named Train, the private training step"] = new("FN0025", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Train,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Train", ["Train", "Net", "TrainInPlace"]),
        ["FN0025 layer named TrainInPlace"] = new("FN0025", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense TrainInPlace,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "TrainInPlace", ["TrainInPlace", "Net"]),
        ["FN0026 more parameters than an array holds"] = new("FN0026", """
            [Network(Inputs = 100000)]
            public sealed partial record Huge(
                [Dense(100000), Relu] Dense Hidden,
                [Dense(10), SoftmaxCrossEntropy] Dense Scores);
            """, 2, "Huge", ["Huge", "10,001,100,010"]),
        ["FN0027 Init cast from an undefined number"] = new("FN0027", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8, Init = (Init)42), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "Init", "42", "Xavier", "HeUniform"]),
        ["FN0028 layer named like another layer's weight offset"] = new("FN0028", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(6), Relu] Dense HiddenWeights,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "'HiddenWeights'", "the layer 'HiddenWeights'", "W"]),
        ["FN0028 two layers' workspace buffers of one name"] = new("FN0028", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), BatchNorm, Relu] Dense H,
                [Dense(6), Relu] Dense HOutput,
                [Dense(3), Hinge] Dense Scores);
            """, 4, "HOutput", ["HOutput", "'HOutputGradient'", "H's output gradient"]),
        ["FN0028 workspace buffer hiding an inherited one"] = new("FN0028", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Scores,
                [Dense(3), Hinge] Dense Classes);
            """, 3, "Scores", ["Scores", "'ScoresGradient'", "Functional.Workspace"]),
        ["FN0028 layer method named like the record"] = new("FN0028", """
            [Network(Inputs = 4)]
            public sealed partial record HiddenForward(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "'HiddenForward'", "record"]),
        ["FN0028 record named like a network-wide member"] = new("FN0028", """
            [Network(Inputs = 4)]
            public sealed partial record Step(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 2, "Step", ["Step", "training step"]),
        ["FN0029 user method named like a generated one"] = new("FN0029", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores)
            {
                public static float[] Infer(float[] features) => features;
            }
            """, 6, "Infer", ["Net", "method", "'Infer'", "inference method"]),
        ["FN0029 user property named like a layer's generated offset, in another part"] = new("FN0029", """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8), Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);

            public sealed partial record Net
            {
                public int HiddenWeights => 3;
            }
            """, 8, "HiddenWeights", ["Net", "property", "'HiddenWeights'", "Hidden's W"]),
        ["FN0030 zero stride"] = new("FN0030", """
            [Network(Channels = 1, Height = 28, Width = 28)]
            public sealed partial record Net(
                [Conv2d(16, 5, Stride = 0), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "Stride is 0", "at least 1", "input [1, 28, 28] → Conv1 ✗"]),
        ["FN0030 zero filters"] = new("FN0030", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Conv2d(0, 3), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "Filters is 0"]),
        ["FN0030 negative kernel"] = new("FN0030", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Conv2d(4, -3), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "Kernel is -3"]),
        ["FN0030 negative padding"] = new("FN0030", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Conv2d(4, 3, Padding = -1), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "Padding is -1", "0 or more"]),
        ["FN0030 zero pooling stride"] = new("FN0030", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Conv2d(4, 3, Padding = 1), Relu, MaxPool2d(2, Stride = 0)] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "MaxPool2d stride is 0"]),
        ["FN0031 kernel larger than the image"] = new("FN0031", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public sealed partial record Net(
                [Conv2d(8, 5), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "kernel 5×5", "[1, 4, 4]", "input [1, 4, 4] → Conv1 ✗"]),
        ["FN0031 kernel larger than the previous layer's output, shapes shown"] = new("FN0031", """
            [Network(Channels = 1, Height = 12, Width = 12)]
            public sealed partial record Net(
                [Conv2d(4, 3, Padding = 1), Relu, MaxPool2d(4)] Conv2d Conv1,
                [Conv2d(8, 5), Relu] Conv2d Conv2,
                [Conv2d(8, 5), Relu] Conv2d Conv3,
                [Dense(3), Hinge] Dense Scores);
            """, 4, "Conv2", ["Conv2", "kernel 5×5", "[4, 3, 3]", "input [1, 12, 12] → Conv1 [4, 3, 3] → Conv2 ✗"]),
        ["FN0031 pooling window larger than the convolution's output"] = new("FN0031", """
            [Network(Channels = 1, Height = 6, Width = 6)]
            public sealed partial record Net(
                [Conv2d(4, 3), Relu, AvgPool2d(5)] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "AvgPool2d window 5×5", "[4, 4, 4]"]),
        ["FN0032 stride that does not divide"] = new("FN0032", """
            [Network(Channels = 1, Height = 28, Width = 28)]
            public sealed partial record Net(
                [Conv2d(16, 5, Stride = 2), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "stride 2", "12.5", "floor", "input [1, 28, 28] → Conv1 ✗"]),
        ["FN0032 pooling that does not divide"] = new("FN0032", """
            [Network(Channels = 1, Height = 7, Width = 8)]
            public sealed partial record Net(
                [Conv2d(4, 3, Padding = 1), Relu, MaxPool2d(2)] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "MaxPool2d window 2", "rows", "3.5"]),
        ["FN0033 convolution after a dense layer"] = new("FN0033", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Dense(64), Relu] Dense Hidden,
                [Conv2d(4, 3), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 4, "Conv1", ["Conv1", "[64]", "a dense layer's output", "input [1, 8, 8] → Hidden [64] → Conv1 ✗"]),
        ["FN0033 convolution on a network declared by Inputs"] = new("FN0033", """
            [Network(Inputs = 784)]
            public sealed partial record Net(
                [Conv2d(4, 3), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "[784]", "declares only Inputs", "Channels = …"]),
        ["FN0034 pooling on a dense layer"] = new("FN0034", """
            [Network(Inputs = 16)]
            public sealed partial record Net(
                [Dense(8), Relu, MaxPool2d(2)] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Hidden", ["Hidden", "MaxPool2d", "convolution"]),
        ["FN0035 convolution with the loss"] = new("FN0035", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Conv2d(4, 3), Relu] Conv2d Conv1,
                [Conv2d(3, 6), Hinge] Conv2d Scores);
            """, 4, "Scores", ["Scores", "Hinge", "Dense"]),
        ["FN0036 Inputs disagree with the image"] = new("FN0036", """
            [Network(Inputs = 784, Channels = 3, Height = 28, Width = 28)]
            public sealed partial record Net(
                [Conv2d(4, 3), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 2, "Net", ["Net", "784", "3 × 28 × 28 = 2352"]),
        ["FN0037 image without its width"] = new("FN0037", """
            [Network(Channels = 1, Height = 28)]
            public sealed partial record Net(
                [Conv2d(4, 3), Relu] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 2, "Net", ["Net", "Channels = 1 and Height = 28", "not Width"]),
        ["FN0038 two poolings"] = new("FN0038", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Conv2d(4, 3, Padding = 1), Relu, MaxPool2d(2), AvgPool2d(2)] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "2 poolings", "MaxPool2d, AvgPool2d"]),
        ["FN0013 Maxout on a convolution"] = new("FN0013", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed partial record Net(
                [Conv2d(4, 3), Maxout(2)] Conv2d Conv1,
                [Dense(3), Hinge] Dense Scores);
            """, 3, "Conv1", ["Conv1", "Maxout on a convolution", "Relu"]),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Bad_declaration_reports_its_diagnostic(string caseName)
    {
        var c = Cases[caseName];
        var outcome = GeneratorHarness.Run(Header + c.Body);

        Assert.Empty(outcome.Exceptions);
        Assert.Empty(outcome.Sources);
        // The input itself must be valid C#: the generator, not the compiler, is what is under test.
        var inputErrors = outcome.Input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(inputErrors.Count == 0, $"{caseName}: the test input does not compile:\n{GeneratorHarness.Describe(inputErrors)}");

        var expectedIds = new[] { c.Id }.Concat(c.AlsoFires ?? []).Order(StringComparer.Ordinal);
        var actualIds = outcome.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal);
        Assert.True(expectedIds.SequenceEqual(actualIds),
            $"{caseName}: expected [{string.Join(", ", expectedIds)}], got:\n{GeneratorHarness.Describe(outcome.GeneratorDiagnostics)}");

        var diagnostic = outcome.GeneratorDiagnostics.Single(d => d.Id == c.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        // The generator rebuilds locations from values (LocationInfo), so they are file locations, not tree locations:
        // check path, line and the text under the span against the input tree.
        Assert.NotEqual(Location.None, diagnostic.Location);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal("Input0.cs", span.Path);
        Assert.Equal(HeaderLines + c.Line, span.StartLinePosition.Line + 1);
        var input = outcome.Input.SyntaxTrees.Single(t => t.FilePath == span.Path);
        Assert.Equal(c.At, input.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Equal(span.Span, input.GetLineSpan(diagnostic.Location.SourceSpan).Span);

        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var name in c.MessageContains)
            Assert.True(message.Contains(name, StringComparison.Ordinal), $"{caseName}: message does not mention '{name}': {message}");
        // Unfilled or misnumbered placeholders would show up as literal braces.
        Assert.DoesNotContain("{", message.Replace("{ ", "").Replace("[Network(", ""), StringComparison.Ordinal);
    }

    /// <summary>The catalog's warnings: advice, not rejection; they are covered by <see cref="Warning_is_reported_and_code_is_still_generated"/>.</summary>
    private static readonly string[] Warnings = ["FN0019", "FN0020"];

    /// <summary>The catalog's info lines (FN0039, the network's size): covered by <see cref="Every_valid_network_reports_its_size"/>.</summary>
    private static readonly string[] Infos = ["FN0039"];

    [Fact]
    public void Every_catalog_error_has_a_case()
    {
        var errors = Diagnostics.ById.Keys.Except(Warnings).Except(Infos).Order(StringComparer.Ordinal);
        Assert.All(Warnings, id => Assert.Equal(DiagnosticSeverity.Warning, Diagnostics.ById[id].DefaultSeverity));
        Assert.All(Infos, id => Assert.Equal(DiagnosticSeverity.Info, Diagnostics.ById[id].DefaultSeverity));
        var covered = Cases.Values.Select(c => c.Id).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(errors, covered);
    }

    [Theory]
    [InlineData("FN0019", "[Dense(8, Init = Init.He), Tanh] Dense Hidden,", "He")]
    [InlineData("FN0019", "[Dense(8, Init = Init.HeUniform), Sigmoid] Dense Hidden,", "HeUniform")]
    [InlineData("FN0019", "[Dense(8, Init = Init.Xavier), Relu] Dense Hidden,", "Xavier")]
    [InlineData("FN0020", "[Dense(8, Init = Init.Zeros), Relu] Dense Hidden,", "zero")]
    public void Warning_is_reported_and_code_is_still_generated(string id, string hidden, string mentioned)
    {
        var outcome = GeneratorHarness.Run(Header + $$"""
            [Network(Inputs = 4)]
            public sealed partial record Net(
                {{hidden}}
                [Dense(3), Hinge] Dense Scores);
            """, GeneratorHarness.ImplicitUsings);

        var diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(HeaderLines + 3, diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Contains(mentioned, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.NotEmpty(outcome.Sources);
        var errors = outcome.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, GeneratorHarness.Describe(errors));
    }

    [Fact]
    public void Xavier_before_relu_is_not_flagged_under_batch_norm()
    {
        var outcome = GeneratorHarness.Run(Header + """
            [Network(Inputs = 4)]
            public sealed partial record Net(
                [Dense(8, Init = Init.Xavier), BatchNorm, Relu] Dense Hidden,
                [Dense(3), Hinge] Dense Scores);
            """, GeneratorHarness.ImplicitUsings);
        Assert.Empty(outcome.GeneratorDiagnostics);
    }

    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void Good_declaration_reports_nothing(string name, string source)
    {
        var outcome = GeneratorHarness.Run(source, GeneratorHarness.ImplicitUsings);

        Assert.True(outcome.GeneratorDiagnostics.IsEmpty, $"{name}:\n{GeneratorHarness.Describe(outcome.GeneratorDiagnostics)}");
        // Errors anywhere; warnings only in generated files (the inputs are the user's business).
        var generated = outcome.Output.SyntaxTrees.Except(outcome.Input.SyntaxTrees).ToHashSet();
        var loud = outcome.OutputDiagnostics
            .Where(d => d.Severity == DiagnosticSeverity.Error
                        || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree)))
            .ToList();
        Assert.NotEmpty(generated);
        Assert.True(loud.Count == 0, $"{name}: warnings or errors with the generated code:\n{GeneratorHarness.Describe(loud)}");
    }

    [Fact]
    public void Every_valid_network_reports_its_size()
    {
        var outcome = GeneratorHarness.Run(Declarations.FashionCnn);
        var info = Assert.Single(outcome.Infos);
        Assert.Equal("FN0039", info.Id);
        string message = info.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        // 1·16·25 + 16, 16·32·25 + 32, 1568·128 + 128, 128·10 + 10 parameters; 2·(16·28²·25 + 32·14²·400 + 1568·128 + 128·10) FLOPs.
        Assert.Contains("215,370 parameters", message, StringComparison.Ordinal);
        Assert.Contains("6,048,768 FLOPs per sample", message, StringComparison.Ordinal);
        // Per row: input 784, Conv1 3136 + 12544 + 12544 + 3136 ints + 3136, Conv2 1568 + 6272 + 6272 + 1568 + 1568,
        // Hidden 128 + 128, scores and their gradient 20: 52,804 × 64 × 4 bytes = 12.9 MiB.
        Assert.Contains("12.9 MiB of activations per batch of 64", message, StringComparison.Ordinal);
        Assert.Contains("Conv1 [16, 14, 14], 416 parameters, 627,200 FLOPs", message, StringComparison.Ordinal);
        Assert.Contains("Conv2 [32, 7, 7], 12,832 parameters, 5,017,600 FLOPs", message, StringComparison.Ordinal);

        // A network with errors says nothing about its size.
        Assert.Empty(GeneratorHarness.Run(Header + """
            [Network(Inputs = 4)]
            public sealed partial record Net([Dense(0), Hinge] Dense Scores);
            """).Infos);
    }

    [Fact]
    public void Header_states_each_layers_shape_parameters_and_flops()
    {
        string source = GeneratorHarness.Run(Declarations.FashionCnn).SingleSource;
        Assert.Contains("//   [1, 28, 28] inputs (C, H, W: 784 values per sample, NCHW)", source, StringComparison.Ordinal);
        Assert.Contains("//       output [16, 14, 14], 416 parameters, 627,200 FLOPs per sample", source, StringComparison.Ordinal);
        Assert.Contains("//       output [32, 7, 7], 12,832 parameters, 5,017,600 FLOPs per sample", source, StringComparison.Ordinal);
        Assert.Contains("//       output [128], 200,832 parameters, 401,408 FLOPs per sample", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Generator_mirror_of_Init_matches_the_Dsl_enum()
    {
        // The parser maps Dsl's Init onto its own InitKind; a member added to one and not the other would be lost.
        var dsl = Enum.GetValues<Functional.Dsl.Init>().Select(v => (v.ToString(), (int)v));
        var mirror = Enum.GetValues<Functional.Generators.Model.InitKind>().Select(v => (v.ToString(), (int)v));
        Assert.Equal(dsl, mirror);
    }

    [Fact]
    public void Catalog_ids_are_contiguous_from_FN0001()
    {
        var expected = Enumerable.Range(1, Diagnostics.ById.Count).Select(i => $"FN{i:D4}");
        Assert.Equal(expected, Diagnostics.ById.Keys.Order(StringComparer.Ordinal));
        Assert.All(Diagnostics.ById, kv => Assert.Equal(kv.Key, kv.Value.Id));
    }

    [Fact]
    public void Every_descriptor_links_to_its_doc_page_and_the_page_exists()
    {
        string docs = Path.Combine(RepositoryRoot(), "docs", "diagnostics");
        Assert.All(Diagnostics.ById.Values, d =>
        {
            Assert.EndsWith($"docs/diagnostics/{d.Id}.md", d.HelpLinkUri, StringComparison.Ordinal);
            Assert.True(Uri.IsWellFormedUriString(d.HelpLinkUri, UriKind.Absolute), d.HelpLinkUri);
            string page = Path.Combine(docs, d.Id + ".md");
            Assert.True(File.Exists(page), $"{d.Id}: {page} does not exist");
            // The page is titled with the ID and the descriptor's title, so the two cannot drift apart unnoticed.
            string? title = File.ReadLines(page).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal));
            Assert.Equal($"# {d.Id}: {d.Title}", title);
            Assert.True(d.IsEnabledByDefault);
        });
    }

    [Fact]
    public void Every_doc_page_belongs_to_a_catalog_entry()
    {
        string docs = Path.Combine(RepositoryRoot(), "docs", "diagnostics");
        var pages = Directory.GetFiles(docs, "FN*.md").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(Diagnostics.ById.Keys.Order(StringComparer.Ordinal), pages);
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));
}
