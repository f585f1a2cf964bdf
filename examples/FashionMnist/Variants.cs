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

/// <summary>The record for each (activation, batch norm, dropout) choice on the command line.</summary>
internal static class Variants
{
    public static readonly string[] Activations = ["relu", "tanh", "sigmoid", "leaky-relu", "prelu", "elu", "maxout"];

    /// <summary>Trains the chosen variant; the generic Run.Train is instantiated once per record.</summary>
    public static int Train(string activation, bool batchNorm, bool dropout, Run.Options options) => (activation, batchNorm, dropout) switch
    {
        ("relu", false, false) => Run.Train<FashionMlp>(options),
        ("relu", false, true) => Run.Train<FashionReluDropout>(options),
        ("relu", true, false) => Run.Train<FashionReluBn>(options),
        ("relu", true, true) => Run.Train<FashionReluBnDropout>(options),
        ("tanh", false, false) => Run.Train<FashionTanh>(options),
        ("tanh", false, true) => Run.Train<FashionTanhDropout>(options),
        ("tanh", true, false) => Run.Train<FashionTanhBn>(options),
        ("tanh", true, true) => Run.Train<FashionTanhBnDropout>(options),
        ("sigmoid", false, false) => Run.Train<FashionSigmoid>(options),
        ("sigmoid", false, true) => Run.Train<FashionSigmoidDropout>(options),
        ("sigmoid", true, false) => Run.Train<FashionSigmoidBn>(options),
        ("sigmoid", true, true) => Run.Train<FashionSigmoidBnDropout>(options),
        ("leaky-relu", false, false) => Run.Train<FashionLeakyRelu>(options),
        ("leaky-relu", false, true) => Run.Train<FashionLeakyReluDropout>(options),
        ("leaky-relu", true, false) => Run.Train<FashionLeakyReluBn>(options),
        ("leaky-relu", true, true) => Run.Train<FashionLeakyReluBnDropout>(options),
        ("prelu", false, false) => Run.Train<FashionPRelu>(options),
        ("prelu", false, true) => Run.Train<FashionPReluDropout>(options),
        ("prelu", true, false) => Run.Train<FashionPReluBn>(options),
        ("prelu", true, true) => Run.Train<FashionPReluBnDropout>(options),
        ("elu", false, false) => Run.Train<FashionElu>(options),
        ("elu", false, true) => Run.Train<FashionEluDropout>(options),
        ("elu", true, false) => Run.Train<FashionEluBn>(options),
        ("elu", true, true) => Run.Train<FashionEluBnDropout>(options),
        ("maxout", false, false) => Run.Train<FashionMaxout>(options),
        ("maxout", false, true) => Run.Train<FashionMaxoutDropout>(options),
        ("maxout", true, false) => Run.Train<FashionMaxoutBn>(options),
        ("maxout", true, true) => Run.Train<FashionMaxoutBnDropout>(options),
        _ => Run.Fail($"unknown activation '{activation}': choose one of {string.Join(", ", Activations)}"),
    };
}
