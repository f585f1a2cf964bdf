// The CNNs the benchmarks time: issue 16's reference CNN and its batch-norm variant, as bench/torch_cnn.py builds them.
using Functional;
using Functional.Dsl;

namespace Functional.Benchmarks;

/// <summary>conv 16 5×5 pad 2, ReLU, max-pool 2 → conv 32 5×5 pad 2, ReLU, max-pool 2 → dense 128 ReLU → dense 10.</summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial record BenchCnn(
    [Conv2d(16, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv1,
    [Conv2d(32, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv2,
    [Dense(128), Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>The same with batch norm before every hidden ReLU (per channel after a convolution), as torch_cnn.py's --bn.</summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial record BenchBnCnn(
    [Conv2d(16, 5, Padding = 2), BatchNorm, Relu, MaxPool2d(2)] Conv2d Conv1,
    [Conv2d(32, 5, Padding = 2), BatchNorm, Relu, MaxPool2d(2)] Conv2d Conv2,
    [Dense(128), BatchNorm, Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
