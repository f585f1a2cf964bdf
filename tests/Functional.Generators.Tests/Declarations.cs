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

    /// <summary>
    /// A network nested in a partial class inside a namespace, with an explicit initialisation. Xavier sits on the
    /// linear loss layer: on a ReLU layer it would (rightly) draw the FN0019 init/activation warning.
    /// </summary>
    public const string NestedXavier = """
        using Functional;
        using Functional.Dsl;

        namespace Samples.Nested
        {
            public static partial class Models
            {
                [Network(Inputs = 64)]
                internal sealed partial record Digits(
                    [Dense(32), Relu] Dense Hidden,
                    [Dense(10, Init = Init.Xavier), SoftmaxCrossEntropy] Dense Scores);
            }
        }
        """;

    /// <summary>Every staged layer kind: batch norm, dropout, a shared PReLU, Maxout, and constants compiled in (leaky slope, ELU α).</summary>
    public const string StagedLayers = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Inputs = 20)]
        public sealed partial record Staged(
            [Dense(16), BatchNorm(Momentum = 0.05f), LeakyRelu(Slope = 0.1f), Dropout(0.25f)] Dense Leaky,
            [Dense(12, Init = Init.HeUniform), PRelu(Shared = true)] Dense Learned,
            [Dense(8), BatchNorm, Maxout(3)] Dense Pieces,
            [Dense(6, BiasInit = 0.1f), Elu(Alpha = 0.5f)] Dense Smooth,
            [Dense(4), SoftmaxCrossEntropy] Dense Scores);
        """;

    /// <summary>Batch norm and PReLU on the loss layer, dropout on a fused-activation layer: staged scores (accepted, and described as unusual).</summary>
    public const string StagedScores = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Inputs = 6)]
        public sealed partial record StagedScores(
            [Dense(4), Tanh, Dropout(0.2f)] Dense Hidden,
            [Dense(5), PRelu] Dense Learned,
            [Dense(3), BatchNorm, PRelu, Hinge] Dense Scores);
        """;

    /// <summary>GELU on two fused layers: each keeps its pre-activation z, and the layer above fuses GELU′(z) into its product.</summary>
    public const string GeluMlp = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Inputs = 20)]
        public sealed partial record GeluMlp(
            [Dense(16), Gelu] Dense Hidden1,
            [Dense(8), Gelu] Dense Hidden2,
            [Dense(4), SoftmaxCrossEntropy] Dense Scores);
        """;

    /// <summary>SiLU (and its alias Swish) in every staged arrangement: after batch norm, with dropout, and on the scores.</summary>
    public const string SiluStaged = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Inputs = 12)]
        public sealed partial record SiluStaged(
            [Dense(10), BatchNorm, Silu] Dense Normed,
            [Dense(8), Swish, Dropout(0.2f)] Dense Dropped,
            [Dense(6), Gelu] Dense Smooth,
            [Dense(3), Silu, Hinge] Dense Scores);
        """;

    /// <summary>The reference CNN (examples/FashionMnist): two 5×5 convolutions with ReLU and 2×2 max pooling, then dense 128 and 10.</summary>
    public const string FashionCnn = """
        using Functional;
        using Functional.Dsl;

        namespace FashionExample;

        [Network(Channels = 1, Height = 28, Width = 28)]
        public sealed partial record FashionCnn(
            [Conv2d(16, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv1,
            [Conv2d(32, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv2,
            [Dense(128), Relu] Dense Hidden,
            [Dense(10), SoftmaxCrossEntropy] Dense Scores);
        """;

    /// <summary>
    /// The other convolution paths: a fused convolution (leaky ReLU's run-time slope) under a stride-2 one with GELU
    /// (kept z), overlapping average pooling and dropout, then a fused padding-0 one (tanh) into a dense layer.
    /// </summary>
    public const string CnnStaged = """
        using Functional;
        using Functional.Dsl;

        namespace Samples;

        [Network(Channels = 3, Height = 13, Width = 13, Inputs = 507)]
        public sealed partial record CnnStaged(
            [Conv2d(4, 3, Padding = 1), LeakyRelu(Slope = 0.1f)] Conv2d Edges,
            [Conv2d(6, 3, Stride = 2, Padding = 1), Gelu, AvgPool2d(2, Stride = 1), Dropout(0.25f)] Conv2d Blobs,
            [Conv2d(5, 3), Tanh] Conv2d Parts,
            [Dense(3), Hinge] Dense Scores);
        """;

    /// <summary>The example's CNN with batch norm per channel before ReLU (no bias), and dropout on the dense layer.</summary>
    public const string FashionCnnBn = """
        using Functional;
        using Functional.Dsl;

        namespace FashionExample;

        [Network(Channels = 1, Height = 28, Width = 28)]
        public sealed partial record FashionCnnBn(
            [Conv2d(16, 5, Padding = 2), BatchNorm, Relu, MaxPool2d(2)] Conv2d Conv1,
            [Conv2d(32, 5, Padding = 2), BatchNorm, Gelu, AvgPool2d(2)] Conv2d Conv2,
            [Dense(128), Relu, Dropout(0.3f)] Dense Hidden,
            [Dense(10), SoftmaxCrossEntropy] Dense Scores);
        """;

    public static TheoryData<string, string> All => new()
    {
        { nameof(FashionMlp), FashionMlp },
        { nameof(SingleLayerSoftmax), SingleLayerSoftmax },
        { nameof(HingeWithLinearHidden), HingeWithLinearHidden },
        { nameof(NestedXavier), NestedXavier },
        { nameof(StagedLayers), StagedLayers },
        { nameof(StagedScores), StagedScores },
        { nameof(GeluMlp), GeluMlp },
        { nameof(SiluStaged), SiluStaged },
        { nameof(FashionCnn), FashionCnn },
        { nameof(CnnStaged), CnnStaged },
        { nameof(FashionCnnBn), FashionCnnBn },
    };
}
