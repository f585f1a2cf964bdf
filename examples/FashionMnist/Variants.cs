// Every structure the example can train, one declared record each: activation × batch norm. Dropout is not a structure
// here: each record declares Dropout(0.2f), and a run without --dropout sets p = 0 at run time, which skips the masks and
// fuses the layers again, so one record serves both (plain ReLU stays the README's FashionMlp, which has no dropout).
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
    [Dense(256), BatchNorm, Relu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Relu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionTanh(
    [Dense(256), Tanh, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Tanh, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionTanhBn(
    [Dense(256), BatchNorm, Tanh, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Tanh, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSigmoid(
    [Dense(256), Sigmoid, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Sigmoid, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSigmoidBn(
    [Dense(256), BatchNorm, Sigmoid, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Sigmoid, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionLeakyRelu(
    [Dense(256), LeakyRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), LeakyRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionLeakyReluBn(
    [Dense(256), BatchNorm, LeakyRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, LeakyRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionPRelu(
    [Dense(256), PRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), PRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionPReluBn(
    [Dense(256), BatchNorm, PRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, PRelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionElu(
    [Dense(256), Elu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Elu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionEluBn(
    [Dense(256), BatchNorm, Elu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Elu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionMaxout(
    [Dense(256), Maxout(2), Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Maxout(2), Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionMaxoutBn(
    [Dense(256), BatchNorm, Maxout(2), Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Maxout(2), Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionGelu(
    [Dense(256), Gelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Gelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionGeluBn(
    [Dense(256), BatchNorm, Gelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Gelu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSilu(
    [Dense(256), Silu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), Silu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 784)]
public sealed partial record FashionSiluBn(
    [Dense(256), BatchNorm, Silu, Dropout(0.2f)] Dense Hidden1,
    [Dense(128), BatchNorm, Silu, Dropout(0.2f)] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>Something to do with one variant's record type (train it, load it, check it): the generic code is written once.</summary>
internal interface IVariantAction
{
    int Run<TNet>() where TNet : class, INetwork<TNet>;
}

/// <summary>The record for each (activation, batch norm, dropout) choice on the command line; with and without dropout share one.</summary>
internal static class Variants
{
    public static readonly string[] Activations = ["relu", "tanh", "sigmoid", "leaky-relu", "prelu", "elu", "maxout", "gelu", "silu"];

    /// <summary>The shapes --network picks among: the MLPs (whose activation, batch norm and dropout the other options choose) and the two CNNs.</summary>
    public static readonly string[] Shapes = ["mlp", "cnn", "cnn-bn"];

    /// <summary>One row of the table: the choice, the record's name, and how to run an action on its type.</summary>
    public sealed record Variant(string Activation, bool BatchNorm, bool Dropout, string Network, Func<IVariantAction, int> Apply, string Shape = "mlp")
    {
        public string Label => Shape switch
        {
            "mlp" => Activation + (BatchNorm ? " + batch norm" : "") + (Dropout ? " + dropout 0.2" : ""),
            "cnn-bn" => "cnn-bn: relu + batch norm + dropout 0.3",
            _ => Shape + ": " + Activation,
        };
    }

    public static readonly Variant[] All =
    [
        new("relu", false, false, typeof(FashionMlp).Name, v => v.Run<FashionMlp>()),
        new("relu", false, true, typeof(FashionReluDropout).Name, v => v.Run<FashionReluDropout>()),
        new("relu", true, false, typeof(FashionReluBn).Name, v => v.Run<FashionReluBn>()),
        new("relu", true, true, typeof(FashionReluBn).Name, v => v.Run<FashionReluBn>()),
        new("tanh", false, false, typeof(FashionTanh).Name, v => v.Run<FashionTanh>()),
        new("tanh", false, true, typeof(FashionTanh).Name, v => v.Run<FashionTanh>()),
        new("tanh", true, false, typeof(FashionTanhBn).Name, v => v.Run<FashionTanhBn>()),
        new("tanh", true, true, typeof(FashionTanhBn).Name, v => v.Run<FashionTanhBn>()),
        new("sigmoid", false, false, typeof(FashionSigmoid).Name, v => v.Run<FashionSigmoid>()),
        new("sigmoid", false, true, typeof(FashionSigmoid).Name, v => v.Run<FashionSigmoid>()),
        new("sigmoid", true, false, typeof(FashionSigmoidBn).Name, v => v.Run<FashionSigmoidBn>()),
        new("sigmoid", true, true, typeof(FashionSigmoidBn).Name, v => v.Run<FashionSigmoidBn>()),
        new("leaky-relu", false, false, typeof(FashionLeakyRelu).Name, v => v.Run<FashionLeakyRelu>()),
        new("leaky-relu", false, true, typeof(FashionLeakyRelu).Name, v => v.Run<FashionLeakyRelu>()),
        new("leaky-relu", true, false, typeof(FashionLeakyReluBn).Name, v => v.Run<FashionLeakyReluBn>()),
        new("leaky-relu", true, true, typeof(FashionLeakyReluBn).Name, v => v.Run<FashionLeakyReluBn>()),
        new("prelu", false, false, typeof(FashionPRelu).Name, v => v.Run<FashionPRelu>()),
        new("prelu", false, true, typeof(FashionPRelu).Name, v => v.Run<FashionPRelu>()),
        new("prelu", true, false, typeof(FashionPReluBn).Name, v => v.Run<FashionPReluBn>()),
        new("prelu", true, true, typeof(FashionPReluBn).Name, v => v.Run<FashionPReluBn>()),
        new("elu", false, false, typeof(FashionElu).Name, v => v.Run<FashionElu>()),
        new("elu", false, true, typeof(FashionElu).Name, v => v.Run<FashionElu>()),
        new("elu", true, false, typeof(FashionEluBn).Name, v => v.Run<FashionEluBn>()),
        new("elu", true, true, typeof(FashionEluBn).Name, v => v.Run<FashionEluBn>()),
        new("maxout", false, false, typeof(FashionMaxout).Name, v => v.Run<FashionMaxout>()),
        new("maxout", false, true, typeof(FashionMaxout).Name, v => v.Run<FashionMaxout>()),
        new("maxout", true, false, typeof(FashionMaxoutBn).Name, v => v.Run<FashionMaxoutBn>()),
        new("maxout", true, true, typeof(FashionMaxoutBn).Name, v => v.Run<FashionMaxoutBn>()),
        new("gelu", false, false, typeof(FashionGelu).Name, v => v.Run<FashionGelu>()),
        new("gelu", false, true, typeof(FashionGelu).Name, v => v.Run<FashionGelu>()),
        new("gelu", true, false, typeof(FashionGeluBn).Name, v => v.Run<FashionGeluBn>()),
        new("gelu", true, true, typeof(FashionGeluBn).Name, v => v.Run<FashionGeluBn>()),
        new("silu", false, false, typeof(FashionSilu).Name, v => v.Run<FashionSilu>()),
        new("silu", false, true, typeof(FashionSilu).Name, v => v.Run<FashionSilu>()),
        new("silu", true, false, typeof(FashionSiluBn).Name, v => v.Run<FashionSiluBn>()),
        new("silu", true, true, typeof(FashionSiluBn).Name, v => v.Run<FashionSiluBn>()),
        new("relu", false, false, typeof(FashionCnn).Name, v => v.Run<FashionCnn>(), "cnn"),
        new("relu", true, false, typeof(FashionCnnBn).Name, v => v.Run<FashionCnnBn>(), "cnn-bn"),
    ];

    /// <summary>The variant for a command-line choice; null for a combination no record declares (the CNNs take no --dropout).</summary>
    public static Variant? Find(string shape, string activation, bool batchNorm, bool dropout) =>
        All.FirstOrDefault(v => v.Shape == shape && v.Activation == activation && v.BatchNorm == batchNorm && v.Dropout == dropout);

    /// <summary>The variant whose record is called <paramref name="network"/> (as a model file names it); null if none.</summary>
    public static Variant? Named(string network) => All.FirstOrDefault(v => v.Network == network);

    /// <summary>
    /// The run-time hyperparameters for the variant labelled <paramref name="label"/>. An MLP that declares dropout gets
    /// p 0.2 with "dropout" in the label, else 0 (off, at no cost); a CNN keeps its declared values (cnn-bn's dropout 0.3
    /// is part of its recipe).
    /// </summary>
    public static Hyperparameters Hyperparameters<TNet>(string label) where TNet : class, INetwork<TNet> =>
        !label.StartsWith("cnn", StringComparison.Ordinal) && TNet.Defaults.Layers.Any(l => l.HasDropout)
            ? TNet.Defaults.WithDropout(label.Contains("dropout") ? 0.2f : 0f) : TNet.Defaults;
}
