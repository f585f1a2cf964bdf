// Weight initialisation schemes (the lecture's "small random", Xavier and He), drawn from a seeded generator.
namespace Functional;

/// <summary>Fills a layer's weight matrix. Biases are left at zero by the generated Init.</summary>
public static class Initializers
{
    /// <summary>Normal with std √(1/fan_in): unit-variance outputs for linear/tanh units.</summary>
    public static void Xavier(Span<float> weights, int fanIn, SeededRandom random) => Normal(weights, Math.Sqrt(1.0 / fanIn), random);

    /// <summary>Normal with std √(2/fan_in): ReLU zeroes half its input, so twice the variance keeps the signal.</summary>
    public static void He(Span<float> weights, int fanIn, SeededRandom random) => Normal(weights, Math.Sqrt(2.0 / fanIn), random);

    public static void Normal(Span<float> weights, double std, SeededRandom random)
    {
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(std * random.NextGaussian());
    }
}
