// The five cases of the lecture's experiment, measured: the same code the tests assert on and the plot draws.
using Functional;
using Functional.Dsl;
using Functional.Training;

namespace InitExperiment;

/// <summary>One initialisation and the statistics of the ten hidden layers' outputs it produces.</summary>
public sealed record Case(string Name, IReadOnlyList<LayerStatistics> Layers);

public static class Experiment
{
    /// <summary>Each case feeds the same <paramref name="samples"/> unit-Gaussian inputs through a fresh network.</summary>
    public static IReadOnlyList<Case> Run(int samples = 1000, int seed = 1)
    {
        var inputs = ActivationStatistics.GaussianInputs(samples, 500, seed);
        IReadOnlyList<LayerStatistics> Hidden<TNet>(TNet model) where TNet : class, INetwork<TNet>
            => ActivationStatistics.Measure(model, inputs, samples).Take(10).ToList();
        return
        [
            new("tanh, N(0, 0.01²)", Hidden(DeepTanh.Init(seed, Init.SmallRandom, smallStd: 0.01f))),
            new("tanh, N(0, 1)", Hidden(DeepTanh.Init(seed, Init.SmallRandom, smallStd: 1f))),
            new("tanh, Xavier", Hidden(DeepTanh.Init(seed, Init.Xavier))),
            new("ReLU, Xavier", Hidden(DeepRelu.Init(seed, Init.Xavier))),
            new("ReLU, He", Hidden(DeepRelu.Init(seed, Init.He))),
        ];
    }
}
