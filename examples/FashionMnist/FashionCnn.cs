// The convolutional networks this example can train (--network cnn, cnn-bn): issue 16's reference CNN, and the same with batch norm per channel.
using Functional;
using Functional.Dsl;

namespace FashionExample;

/// <summary>Two 5×5 convolutions (16 and 32 filters, padding 2) with ReLU and 2×2 max pooling, then dense 128 and 10: 28×28 → 16×14×14 → 32×7×7 → 128 → 10.</summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial record FashionCnn(
    [Conv2d(16, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv1,
    [Conv2d(32, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv2,
    [Dense(128), Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>
/// The same with batch norm before every hidden ReLU (per channel after a convolution; γ, β replace the bias) and
/// dropout 0.3 on the dense layer, which is part of this network's recipe (README).
/// </summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial record FashionCnnBn(
    [Conv2d(16, 5, Padding = 2), BatchNorm, Relu, MaxPool2d(2)] Conv2d Conv1,
    [Conv2d(32, 5, Padding = 2), BatchNorm, Relu, MaxPool2d(2)] Conv2d Conv2,
    [Dense(128), BatchNorm, Relu, Dropout(0.3f)] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
