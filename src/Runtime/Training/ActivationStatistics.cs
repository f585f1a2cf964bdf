// Per-layer activation statistics of a forward pass: the lecture's tool for judging an initialisation.
using Functional.Data;

namespace Functional.Training;

/// <summary>
/// One layer's outputs summarised: mean, standard deviation, the share of values saturated (sigmoid and tanh only, within 1 %
/// of an asymptote; null for activations that cannot saturate) and the share near 0.
/// </summary>
public sealed record LayerStatistics(string Layer, double Mean, double Std, double? Saturated, double Zero, float[] Histogram, float HistogramMin, float HistogramMax);

/// <summary>Runs the inference forward and summarises every layer's output.</summary>
public static class ActivationStatistics
{
    /// <summary>Bins of the histogram over [min, max] of each layer's outputs.</summary>
    public const int Bins = 40;

    /// <summary>
    /// Statistics of each layer's output on <paramref name="inputs"/> ([count, InputCount]). "Saturated" counts outputs
    /// in a tanh's or sigmoid's flat tail (as <see cref="LayerMonitor.SaturatedFraction"/>), "zero" counts |y| &lt; 1e-3
    /// (dead or collapsed units).
    /// </summary>
    public static IReadOnlyList<LayerStatistics> Measure<TNet>(TNet model, ReadOnlySpan<float> inputs, int count) where TNet : class, INetwork<TNet>
    {
        var workspace = TNet.CreateWorkspace(count);
        // Into the workspace's own scores, which LayerOutput reads for the last layer (a separate array left it all zeros).
        TNet.Infer(model.Parameters.Span, model.Buffers.Span, inputs, count, workspace.Scores.AsSpan(0, count * TNet.ClassCount), workspace, model.Hyperparameters);
        var result = new List<LayerStatistics>();
        for (int layer = 0; layer < TNet.Layout.Layers.Count; layer++)
            result.Add(Summarise(TNet.Layout.Layers[layer].Name, TNet.LayerOutput(workspace, layer, count), TNet.Layout.Layers[layer].Activation));
        return result;
    }

    /// <summary>Statistics of one block of values, the outputs of a layer with <paramref name="activation"/>, in double precision.</summary>
    public static LayerStatistics Summarise(string name, ReadOnlySpan<float> values, ActivationKind activation)
    {
        var (mean, std) = LayerProbe.MeanAndStd(values);
        long zero = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (Math.Abs(v) < 1e-3f) zero++;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        var histogram = new float[Bins];
        float span = max > min ? max - min : 1f;
        foreach (var v in values) histogram[Math.Min(Bins - 1, (int)((v - min) / span * Bins))]++;
        for (int i = 0; i < Bins; i++) histogram[i] /= values.Length;
        return new LayerStatistics(name, mean, std, LayerProbe.SaturatedFraction(values, activation), (double)zero / values.Length, histogram, min, max);
    }

    /// <summary>Unit-Gaussian inputs [count, features] from a seed: the lecture experiment's input.</summary>
    public static float[] GaussianInputs(int count, int features, int seed)
    {
        var random = new SeededRandom(seed);
        var x = new float[count * features];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextGaussian();
        return x;
    }
}
