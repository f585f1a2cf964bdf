// Networks declared for the integration tests: every layer kind, loss and awkward width the generator must handle.
using Functional;
using Functional.Dsl;

namespace Functional.Integration.Tests;

/// <summary>Two ReLU hidden layers and softmax: the shape of the main example, in miniature.</summary>
[Network(Inputs = 6)]
public sealed partial record TinyMlp(
    [Dense(5), Relu] Dense Hidden1,
    [Dense(4), Relu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>Widths that are not multiples of any vector width, so every tile and tail path runs.</summary>
[Network(Inputs = 19)]
public sealed partial record AwkwardMlp(
    [Dense(33), Relu] Dense Wide,
    [Dense(17), Relu] Dense Narrow,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>A linear hidden layer (no activation) and the multiclass SVM loss.</summary>
[Network(Inputs = 7)]
public sealed partial record HingeNet(
    [Dense(9)] Dense Linear,
    [Dense(4), Hinge] Dense Scores);

/// <summary>Softmax regression: a single layer, so there is no input gradient to propagate.</summary>
[Network(Inputs = 17)]
public sealed partial record SoftmaxRegression(
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>An activation on the loss layer itself, whose derivative is applied outside any product.</summary>
[Network(Inputs = 5)]
public sealed partial record ReluScores(
    [Dense(8), Relu] Dense Hidden,
    [Dense(3), Relu, SoftmaxCrossEntropy] Dense Scores);

/// <summary>A small Fashion-MNIST classifier for training tests on the built-in subset.</summary>
[Network(Inputs = 784)]
public sealed partial record SubsetMlp(
    [Dense(64), Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
