// Zero-centering and scaling to unit variance with one mean and one std, fitted on training data only.
using System.Numerics.Tensors;

namespace Functional.Data;

/// <summary>
/// x ↦ (x − mean) / std with a single mean and std over every feature of the training set (the lecture's
/// "subtract the mean, divide by the std" in its simplest form; torchvision's Normalize((0.2860,), (0.3530,))
/// for Fashion-MNIST). Fitted once on training data, then applied unchanged to validation and test data, so no
/// statistic of held-out data leaks into training.
/// </summary>
public sealed record Standardizer(float Mean, float Std)
{
    /// <summary>The mean and std of every feature value in <paramref name="train"/>, in double precision.</summary>
    public static Standardizer Fit(Dataset train)
    {
        var x = train.Features;
        double sum = 0, sumSquares = 0;
        foreach (var v in x) { sum += v; sumSquares += (double)v * v; }
        double mean = sum / x.Length;
        double variance = Math.Max(sumSquares / x.Length - mean * mean, 0);
        if (variance == 0) throw new ArgumentException($"{train.Name}: every feature value is {mean}, so there is no spread to scale by", nameof(train));
        return new Standardizer((float)mean, (float)Math.Sqrt(variance));
    }

    /// <summary>A new data set with every feature standardized; <paramref name="data"/> is unchanged.</summary>
    public Dataset Apply(Dataset data)
    {
        var features = new float[data.Features.Length];
        TensorPrimitives.Subtract(data.Features, Mean, features);
        TensorPrimitives.Divide(features, Std, features);
        return data.WithFeatures(features);
    }
}
