// The networks the benchmarks time: the README example's 784-256(ReLU)-128(ReLU)-10 MLP (declared again so examples/ stays untouched) and its batch-norm variant.
using Functional;
using Functional.Dsl;

namespace Functional.Benchmarks;

[Network(Inputs = 784)]
public sealed partial record BenchMlp(
    [Dense(256), Relu] Dense Hidden1,
    [Dense(128), Relu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>The same network with batch norm before each hidden ReLU (its bias dropped): the "batch-norm variant".</summary>
[Network(Inputs = 784)]
public sealed partial record BenchBnMlp(
    [Dense(256), BatchNorm, Relu] Dense Hidden1,
    [Dense(128), BatchNorm, Relu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
