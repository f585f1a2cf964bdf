// Over which features one statistic is shared: all of them, each channel of an image, or each feature alone.
namespace Functional.Data;

/// <summary>How finely a mean or standard deviation is taken.</summary>
public enum GranularityKind
{
    /// <summary>One number for every feature value (torchvision's Normalize((0.2860,), (0.3530,))).</summary>
    Scalar,
    /// <summary>One number per channel of a channel-major image ([C, H, W], as CIFAR's files and PyTorch lay them out).</summary>
    PerChannel,
    /// <summary>One number per feature (the lecture's "mean image", CS231n's X -= np.mean(X, axis=0)).</summary>
    PerFeature,
}

/// <summary>
/// Which features share a statistic. Per-channel assumes channel-major rows: with C channels of P values each,
/// feature j belongs to channel j / P. Fashion-MNIST has one channel, so per-channel equals scalar there.
/// </summary>
public sealed record Granularity
{
    private Granularity(GranularityKind kind, int channels)
    {
        Kind = kind;
        Channels = channels;
    }

    /// <summary>How finely the statistic is taken: scalar, per channel or per feature.</summary>
    public GranularityKind Kind { get; }

    /// <summary>The number of channels for <see cref="GranularityKind.PerChannel"/>; 1 otherwise.</summary>
    public int Channels { get; }

    /// <summary>One statistic for every feature value.</summary>
    public static Granularity Scalar { get; } = new(GranularityKind.Scalar, 1);
    /// <summary>One statistic per feature.</summary>
    public static Granularity PerFeature { get; } = new(GranularityKind.PerFeature, 1);

    /// <summary>One statistic per channel of rows laid out as <paramref name="channels"/> contiguous planes.</summary>
    public static Granularity PerChannel(int channels) =>
        channels >= 1 ? new(GranularityKind.PerChannel, channels)
                      : throw new ArgumentOutOfRangeException(nameof(channels), channels, "an image has at least one channel");

    /// <summary>How many statistics a row of <paramref name="featureCount"/> features needs, or an explanation why it cannot be split so.</summary>
    internal int GroupCount(int featureCount) => Kind switch
    {
        GranularityKind.Scalar => 1,
        GranularityKind.PerFeature => featureCount,
        _ => Channels,
    };

    /// <summary>Consecutive features that share one statistic (1 per feature, P per channel, all for scalar).</summary>
    internal int GroupSize(int featureCount) => featureCount / GroupCount(featureCount);

    /// <summary>Throws unless rows of <paramref name="featureCount"/> features divide evenly into this granularity's groups.</summary>
    internal void CheckFits(int featureCount, string dataName)
    {
        if (Kind == GranularityKind.PerChannel && featureCount % Channels != 0)
            throw new ArgumentException($"{dataName}: {featureCount} features cannot be {Channels} equal channels " +
                                        $"({featureCount} is not a multiple of {Channels})");
    }

    /// <summary>"scalar", "per-feature" or "per-channel(C)": how reports and saved pipelines write it.</summary>
    public override string ToString() => Kind switch
    {
        GranularityKind.Scalar => "scalar",
        GranularityKind.PerFeature => "per-feature",
        _ => $"per-channel({Channels})",
    };

    /// <summary>The inverse of <see cref="ToString"/>, for reading saved pipelines.</summary>
    internal static Granularity? Parse(string text) => text switch
    {
        "scalar" => Scalar,
        "per-feature" => PerFeature,
        _ when text.StartsWith("per-channel(", StringComparison.Ordinal) && text.EndsWith(')')
               && int.TryParse(text.AsSpan(12, text.Length - 13), System.Globalization.NumberStyles.None,
                               System.Globalization.CultureInfo.InvariantCulture, out int c) && c >= 1 => PerChannel(c),
        _ => null,
    };
}
