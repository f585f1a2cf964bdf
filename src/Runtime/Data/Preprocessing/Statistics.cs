// Means and standard deviations of a training set, per group of features, accumulated in double precision.
using System.Runtime.Intrinsics;

namespace Functional.Data;

internal static class Statistics
{
    /// <summary>The mean of each group's values (see <see cref="Granularity"/>), summed in double so 47 million pixels lose nothing.</summary>
    public static double[] Mean(Dataset data, Granularity granularity)
    {
        int d = data.FeatureCount, groups = granularity.GroupCount(d), size = granularity.GroupSize(d);
        var sums = new double[d];
        for (int i = 0; i < data.Count; i++)
        {
            var row = data.Row(i);
            int j = 0;
            // Four doubles at a time, each feature's sum taking the same additions in the same order as one by one.
            if (Vector256.IsHardwareAccelerated)
                for (; j <= d - 8; j += 8)
                {
                    var (low, high) = Vector256.Widen(Vector256.Create(row.Slice(j, 8)));
                    (Vector256.Create<double>(sums.AsSpan(j, 4)) + low).CopyTo(sums.AsSpan(j, 4));
                    (Vector256.Create<double>(sums.AsSpan(j + 4, 4)) + high).CopyTo(sums.AsSpan(j + 4, 4));
                }
            for (; j < d; j++) sums[j] += row[j];
        }
        return Pool(sums, groups, size, (double)data.Count * size);
    }

    /// <summary>
    /// The population standard deviation (divide by n, as numpy's std and torchvision's statistics do) of each
    /// group around <paramref name="mean"/>, in a second pass: E[(x−μ)²] does not cancel catastrophically as E[x²]−μ² can.
    /// </summary>
    public static double[] Std(Dataset data, Granularity granularity, double[] mean)
    {
        int d = data.FeatureCount, groups = granularity.GroupCount(d), size = granularity.GroupSize(d);
        // Each feature's group mean spread out once: a division per value (j / size) cost more than the rest of the pass.
        var around = new double[d];
        for (int j = 0; j < d; j++) around[j] = mean[j / size];
        var sums = new double[d];
        for (int i = 0; i < data.Count; i++)
        {
            var row = data.Row(i);
            int j = 0;
            // As in Mean; e·e and the sum are rounded apart, as one by one (no fused multiply-add).
            if (Vector256.IsHardwareAccelerated)
                for (; j <= d - 8; j += 8)
                {
                    var (low, high) = Vector256.Widen(Vector256.Create(row.Slice(j, 8)));
                    var e0 = low - Vector256.Create<double>(around.AsSpan(j, 4));
                    var e1 = high - Vector256.Create<double>(around.AsSpan(j + 4, 4));
                    (Vector256.Create<double>(sums.AsSpan(j, 4)) + e0 * e0).CopyTo(sums.AsSpan(j, 4));
                    (Vector256.Create<double>(sums.AsSpan(j + 4, 4)) + e1 * e1).CopyTo(sums.AsSpan(j + 4, 4));
                }
            for (; j < d; j++)
            {
                double e = row[j] - around[j];
                sums[j] += e * e;
            }
        }
        var variance = Pool(sums, groups, size, (double)data.Count * size);
        for (int g = 0; g < groups; g++) variance[g] = Math.Sqrt(variance[g]);
        return variance;
    }

    /// <summary>Sums per feature folded into per group and divided by <paramref name="count"/>.</summary>
    private static double[] Pool(double[] perFeature, int groups, int size, double count)
    {
        var pooled = new double[groups];
        for (int j = 0; j < perFeature.Length; j++) pooled[j / size] += perFeature[j];
        for (int g = 0; g < groups; g++) pooled[g] /= count;
        return pooled;
    }

    public static float[] ToFloats(double[] values) => Array.ConvertAll(values, v => (float)v);

    /// <summary>Value equality for the arrays inside fitted transforms (records would compare references).</summary>
    public static bool Same(float[] a, float[] b) => a.AsSpan().SequenceEqual(b);

    /// <summary>A hash of a few values: enough to spread records, cheap for 614,656-entry ZCA matrices.</summary>
    public static int Hash(float[] values)
    {
        var hash = new HashCode();
        hash.Add(values.Length);
        for (int i = 0; i < values.Length; i += Math.Max(1, values.Length / 16)) hash.Add(values[i]);
        return hash.ToHashCode();
    }
}
