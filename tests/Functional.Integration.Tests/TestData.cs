// Random data sets for tests: Gaussian features, uniform labels, from a fixed seed.
using Functional.Data;

namespace Functional.Integration.Tests;

internal static class TestData
{
    public static Dataset Random(int rows, int features, int classes, int seed)
    {
        var random = new SeededRandom(seed);
        var x = new float[rows * features];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextGaussian();
        var y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = random.NextInt(classes);
        return Dataset.Create($"random {rows}×{features}", x, y, features, classes).ThrowIfFail();
    }

    public static Batch All(Dataset data) => new(data, Enumerable.Range(0, data.Count).ToArray());
}
