// The well-formed [Network] declarations the tests snapshot, compile and re-run.
namespace Functional.Generators.Tests;

internal static class Declarations
{
    /// <summary>The README's network (examples/FashionMnist/FashionMlp.cs): 784-256-128-10, ReLU, softmax cross-entropy.</summary>
    public const string FashionMlp = """
        using Functional;
        using Functional.Dsl;

        namespace FashionExample;

        [Network(Inputs = 784)]
        public sealed partial record FashionMlp(
            [Dense(256), Relu] Dense Hidden1,
            [Dense(128), Relu] Dense Hidden2,
            [Dense(10), SoftmaxCrossEntropy] Dense Scores);
        """;

    /// <summary>A linear softmax classifier: the only layer is both the first and the last.</summary>
    public const string SingleLayerSoftmax = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Inputs = 3072)]
        public sealed partial record LinearSoftmax(
            [Dense(10), SoftmaxCrossEntropy] Dense Scores);
        """;

    /// <summary>A multiclass SVM behind a hidden layer with no activation.</summary>
    public const string HingeWithLinearHidden = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Inputs = 4)]
        public sealed partial record LinearSvm(
            [Dense(16)] Dense Projection,
            [Dense(3), Hinge] Dense Scores);
        """;

    /// <summary>A network nested in a partial class inside a namespace, with an explicit initialisation.</summary>
    public const string NestedXavier = """
        using Functional;
        using Functional.Dsl;

        namespace Samples.Nested
        {
            public static partial class Models
            {
                [Network(Inputs = 64)]
                internal sealed partial record Digits(
                    [Dense(32, Init = Init.Xavier), Relu] Dense Hidden,
                    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
            }
        }
        """;

    public static TheoryData<string, string> All => new()
    {
        { nameof(FashionMlp), FashionMlp },
        { nameof(SingleLayerSoftmax), SingleLayerSoftmax },
        { nameof(HingeWithLinearHidden), HingeWithLinearHidden },
        { nameof(NestedXavier), NestedXavier },
    };
}
