// Weight initialisation schemes (the lecture's zeros, small random, Xavier and He), drawn from a seeded generator.
using Functional.Dsl;

namespace Functional;

/// <summary>Fills a layer's weight matrix [fan_in, fan_out] by a named scheme.</summary>
public static class Initializers
{
    /// <summary>Fills <paramref name="weights"/> by <paramref name="scheme"/> (<see cref="Init.Default"/> is resolved by the generator, never here).</summary>
    public static void Fill(Span<float> weights, Init scheme, int fanIn, int fanOut, float smallStd, SeededRandom random)
    {
        switch (scheme)
        {
            case Init.Zeros: weights.Clear(); break;
            case Init.SmallRandom: Normal(weights, smallStd, random); break;
            case Init.Xavier: Normal(weights, Math.Sqrt(1.0 / fanIn), random); break;
            case Init.He: Normal(weights, Math.Sqrt(2.0 / fanIn), random); break;
            case Init.XavierUniform: Uniform(weights, Math.Sqrt(6.0 / (fanIn + fanOut)), random); break;
            case Init.HeUniform: Uniform(weights, Math.Sqrt(6.0 / fanIn), random); break;
            default: throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "choose a concrete scheme: the generator resolves Default from the activation");
        }
    }

    private static void Normal(Span<float> weights, double std, SeededRandom random)
    {
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(std * random.NextGaussian());
    }

    /// <summary>Uniform in [−limit, limit).</summary>
    private static void Uniform(Span<float> weights, double limit, SeededRandom random)
    {
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)((2 * random.NextDouble() - 1) * limit);
    }
}
