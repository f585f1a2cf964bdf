// Every variant the example can train, one declared record each: activation × batch norm × dropout.
// Networks are compile-time declarations, so a command-line choice selects among records rather than building one.
using Functional;
using Functional.Dsl;

namespace FashionExample;

[Network(Inputs = 784)]
public sealed partial record FashionReluDropout(
    [Dense(256), Relu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Relu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionReluBn(
    [Dense(256), BatchNorm, Relu] Dense Hidden1,
    [Dense(128), BatchNorm, Relu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionReluBnDropout(
    [Dense(256), BatchNorm, Relu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Relu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionTanh(
    [Dense(256), Tanh] Dense Hidden1,
    [Dense(128), Tanh] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionTanhDropout(
    [Dense(256), Tanh, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Tanh, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionTanhBn(
    [Dense(256), BatchNorm, Tanh] Dense Hidden1,
    [Dense(128), BatchNorm, Tanh] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionTanhBnDropout(
    [Dense(256), BatchNorm, Tanh, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Tanh, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSigmoid(
    [Dense(256), Sigmoid] Dense Hidden1,
    [Dense(128), Sigmoid] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSigmoidDropout(
    [Dense(256), Sigmoid, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Sigmoid, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSigmoidBn(
    [Dense(256), BatchNorm, Sigmoid] Dense Hidden1,
    [Dense(128), BatchNorm, Sigmoid] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSigmoidBnDropout(
    [Dense(256), BatchNorm, Sigmoid, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Sigmoid, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionLeakyRelu(
    [Dense(256), LeakyRelu] Dense Hidden1,
    [Dense(128), LeakyRelu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionLeakyReluDropout(
    [Dense(256), LeakyRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), LeakyRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionLeakyReluBn(
    [Dense(256), BatchNorm, LeakyRelu] Dense Hidden1,
    [Dense(128), BatchNorm, LeakyRelu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionLeakyReluBnDropout(
    [Dense(256), BatchNorm, LeakyRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, LeakyRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionPRelu(
    [Dense(256), PRelu] Dense Hidden1,
    [Dense(128), PRelu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionPReluDropout(
    [Dense(256), PRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), PRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionPReluBn(
    [Dense(256), BatchNorm, PRelu] Dense Hidden1,
    [Dense(128), BatchNorm, PRelu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionPReluBnDropout(
    [Dense(256), BatchNorm, PRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, PRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionElu(
    [Dense(256), Elu] Dense Hidden1,
    [Dense(128), Elu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionEluDropout(
    [Dense(256), Elu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Elu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionEluBn(
    [Dense(256), BatchNorm, Elu] Dense Hidden1,
    [Dense(128), BatchNorm, Elu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionEluBnDropout(
    [Dense(256), BatchNorm, Elu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Elu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionMaxout(
    [Dense(256), Maxout(2)] Dense Hidden1,
    [Dense(128), Maxout(2)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionMaxoutDropout(
    [Dense(256), Maxout(2), Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Maxout(2), Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionMaxoutBn(
    [Dense(256), BatchNorm, Maxout(2)] Dense Hidden1,
    [Dense(128), BatchNorm, Maxout(2)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionMaxoutBnDropout(
    [Dense(256), BatchNorm, Maxout(2), Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Maxout(2), Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>Something to do with one variant's record type (train it, load it, check it): the generic code is written once.</summary>
internal interface IVariantAction
{
    int Run<TNet>() where TNet : class, INetwork<TNet>;
}

/// <summary>The record for each (activation, batch norm, dropout) choice on the command line.</summary>
internal static class Variants
{
    public static readonly string[] Activations = ["relu", "tanh", "sigmoid", "leaky-relu", "prelu", "elu", "maxout"];

    /// <summary>One row of the table: the choice, the record's name, and how to run an action on its type.</summary>
    public sealed record Variant(string Activation, bool BatchNorm, bool Dropout, string Network, Func<IVariantAction, int> Apply)
    {
        public string Label => Activation + (BatchNorm ? " + batch norm" : "") + (Dropout ? " + dropout 0.2" : "");
    }

    public static readonly Variant[] All =
    [
        new("relu", false, false, typeof(FashionMlp).Name, v => v.Run<FashionMlp>()),
        new("relu", false, true, typeof(FashionReluDropout).Name, v => v.Run<FashionReluDropout>()),
        new("relu", true, false, typeof(FashionReluBn).Name, v => v.Run<FashionReluBn>()),
        new("relu", true, true, typeof(FashionReluBnDropout).Name, v => v.Run<FashionReluBnDropout>()),
        new("tanh", false, false, typeof(FashionTanh).Name, v => v.Run<FashionTanh>()),
        new("tanh", false, true, typeof(FashionTanhDropout).Name, v => v.Run<FashionTanhDropout>()),
        new("tanh", true, false, typeof(FashionTanhBn).Name, v => v.Run<FashionTanhBn>()),
        new("tanh", true, true, typeof(FashionTanhBnDropout).Name, v => v.Run<FashionTanhBnDropout>()),
        new("sigmoid", false, false, typeof(FashionSigmoid).Name, v => v.Run<FashionSigmoid>()),
        new("sigmoid", false, true, typeof(FashionSigmoidDropout).Name, v => v.Run<FashionSigmoidDropout>()),
        new("sigmoid", true, false, typeof(FashionSigmoidBn).Name, v => v.Run<FashionSigmoidBn>()),
        new("sigmoid", true, true, typeof(FashionSigmoidBnDropout).Name, v => v.Run<FashionSigmoidBnDropout>()),
        new("leaky-relu", false, false, typeof(FashionLeakyRelu).Name, v => v.Run<FashionLeakyRelu>()),
        new("leaky-relu", false, true, typeof(FashionLeakyReluDropout).Name, v => v.Run<FashionLeakyReluDropout>()),
        new("leaky-relu", true, false, typeof(FashionLeakyReluBn).Name, v => v.Run<FashionLeakyReluBn>()),
        new("leaky-relu", true, true, typeof(FashionLeakyReluBnDropout).Name, v => v.Run<FashionLeakyReluBnDropout>()),
        new("prelu", false, false, typeof(FashionPRelu).Name, v => v.Run<FashionPRelu>()),
        new("prelu", false, true, typeof(FashionPReluDropout).Name, v => v.Run<FashionPReluDropout>()),
        new("prelu", true, false, typeof(FashionPReluBn).Name, v => v.Run<FashionPReluBn>()),
        new("prelu", true, true, typeof(FashionPReluBnDropout).Name, v => v.Run<FashionPReluBnDropout>()),
        new("elu", false, false, typeof(FashionElu).Name, v => v.Run<FashionElu>()),
        new("elu", false, true, typeof(FashionEluDropout).Name, v => v.Run<FashionEluDropout>()),
        new("elu", true, false, typeof(FashionEluBn).Name, v => v.Run<FashionEluBn>()),
        new("elu", true, true, typeof(FashionEluBnDropout).Name, v => v.Run<FashionEluBnDropout>()),
        new("maxout", false, false, typeof(FashionMaxout).Name, v => v.Run<FashionMaxout>()),
        new("maxout", false, true, typeof(FashionMaxoutDropout).Name, v => v.Run<FashionMaxoutDropout>()),
        new("maxout", true, false, typeof(FashionMaxoutBn).Name, v => v.Run<FashionMaxoutBn>()),
        new("maxout", true, true, typeof(FashionMaxoutBnDropout).Name, v => v.Run<FashionMaxoutBnDropout>()),
    ];

    /// <summary>The variant for a command-line choice; null for an unknown activation.</summary>
    public static Variant? Find(string activation, bool batchNorm, bool dropout) =>
        All.FirstOrDefault(v => v.Activation == activation && v.BatchNorm == batchNorm && v.Dropout == dropout);

    /// <summary>The variant whose record is called <paramref name="network"/> (as a model file names it); null if none.</summary>
    public static Variant? Named(string network) => All.FirstOrDefault(v => v.Network == network);
}
