// Random data sets for preprocessing properties: FsCheck picks the shape and seed, SeededRandom fills in the values.
using FsCheck;
using FsCheck.Fluent;
using Functional.Data;

namespace Functional.Tests.Preprocessing;

/// <summary>
/// A recipe for a data set: <see cref="Rows"/> × <see cref="Features"/> values x = (z ⊙ s)·M + o with z standard
/// normal, per-feature scales s in [0.3, 3] and offsets o in [−50, 50], and a mixing matrix M = I + 0.1·N(0, 1) that
/// correlates the features (so PCA has something to rotate) while keeping the covariance's condition number modest
/// (so float rounding, amplified by it in whitening, stays far below the tolerances). FsCheck shrinks the shape; the seed makes it concrete.
/// </summary>
public sealed record Shape(int Rows, int Features, int Seed)
{
    public Dataset Build(string name = "train") => Build(Rows, name, Seed);

    /// <summary>Another set from the same distribution (same scales, offsets and mixing), e.g. a test set.</summary>
    public Dataset BuildOther(int rows, int seed, string name = "test") => Build(rows, name, seed);

    private Dataset Build(int rows, string name, int valuesSeed)
    {
        int d = Features;
        var structure = new SeededRandom(Seed);
        var scale = Enumerable.Range(0, d).Select(_ => Math.Pow(10, structure.NextDouble() - 0.5)).ToArray();
        var offset = Enumerable.Range(0, d).Select(_ => 100 * structure.NextDouble() - 50).ToArray();
        var mix = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                mix[i * d + j] = (i == j ? 1 : 0) + 0.1 * structure.NextGaussian();

        var random = new SeededRandom(valuesSeed * 7919L + 1);
        var x = new float[rows * d];
        var z = new double[d];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < d; i++) z[i] = random.NextGaussian() * scale[i];
            for (int j = 0; j < d; j++)
            {
                double v = offset[j];
                for (int i = 0; i < d; i++) v += z[i] * mix[i * d + j];
                x[r * d + j] = (float)v;
            }
        }
        var labels = Enumerable.Range(0, rows).Select(r => r % 3).ToArray();
        return Dataset.Create(name, x, labels, d, 3).ThrowIfFail();
    }
}

/// <summary>FsCheck's source of <see cref="Shape"/>s: at least 3 rows per feature, so covariances are well determined.</summary>
public static class Shapes
{
    public static Arbitrary<Shape> Shape() => Arb.From(
        from d in Gen.Choose(1, 12)
         from rows in Gen.Choose(3 * d + 2, 3 * d + 80)
         from seed in Gen.Choose(0, int.MaxValue)
         select new Shape(rows, d, seed),
        Shrink);

    private static IEnumerable<Shape> Shrink(Shape s)
    {
        if (s.Features > 1) yield return s with { Features = s.Features - 1, Rows = Math.Max(3 * (s.Features - 1) + 2, s.Rows - 3) };
        if (s.Rows > 3 * s.Features + 2) yield return s with { Rows = 3 * s.Features + 2 };
    }
}

/// <summary>Statistics computed independently of the code under test, naively in double precision.</summary>
internal static class Moments
{
    public static double[] Means(Dataset data)
    {
        var m = new double[data.FeatureCount];
        for (int r = 0; r < data.Count; r++)
            for (int j = 0; j < m.Length; j++) m[j] += data.Row(r)[j];
        for (int j = 0; j < m.Length; j++) m[j] /= data.Count;
        return m;
    }

    /// <summary>Population covariance (divide by n), [d, d] row-major.</summary>
    public static double[] Covariance(Dataset data)
    {
        int d = data.FeatureCount;
        var m = Means(data);
        var c = new double[d * d];
        for (int r = 0; r < data.Count; r++)
        {
            var row = data.Row(r);
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) c[i * d + j] += (row[i] - m[i]) * (row[j] - m[j]);
        }
        for (int k = 0; k < c.Length; k++) c[k] /= data.Count;
        return c;
    }

    public static double MaxAbs(Dataset data)
    {
        double max = 0;
        foreach (var v in data.Features) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
