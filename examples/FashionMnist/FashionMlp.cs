// The network this example trains, declared as a record: it reads top to bottom like the network.
using Functional;
using Functional.Dsl;

namespace FashionExample;

[Network(Inputs = 784)]
public sealed partial record FashionMlp(
    [Dense(256), Relu] Dense Hidden1,
    [Dense(128), Relu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
