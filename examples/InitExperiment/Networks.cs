// Ten hidden layers of width 500: deep enough for a bad initialisation to show.
using Functional;
using Functional.Dsl;

namespace InitExperiment;

[Network(Inputs = 500)]
public sealed partial record DeepTanh(
    [Dense(500), Tanh] Dense L1, [Dense(500), Tanh] Dense L2, [Dense(500), Tanh] Dense L3, [Dense(500), Tanh] Dense L4,
    [Dense(500), Tanh] Dense L5, [Dense(500), Tanh] Dense L6, [Dense(500), Tanh] Dense L7, [Dense(500), Tanh] Dense L8,
    [Dense(500), Tanh] Dense L9, [Dense(500), Tanh] Dense L10,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 500)]
public sealed partial record DeepRelu(
    [Dense(500), Relu] Dense L1, [Dense(500), Relu] Dense L2, [Dense(500), Relu] Dense L3, [Dense(500), Relu] Dense L4,
    [Dense(500), Relu] Dense L5, [Dense(500), Relu] Dense L6, [Dense(500), Relu] Dense L7, [Dense(500), Relu] Dense L8,
    [Dense(500), Relu] Dense L9, [Dense(500), Relu] Dense L10,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
