// Computes a statistics step's per-layer figures from the parameters before and after it, its gradient and the activations it left in the workspace.
using System.Numerics.Tensors;

namespace Functional.Training;

/// <summary>
/// Owned by one fold: the copy of the parameters from before a statistics step and the buffers the figures are written
/// into, allocated once, so statistics steps allocate nothing either.
/// </summary>
internal sealed class LayerProbe
{
    private readonly NetworkLayout layout;
    private readonly LayerMonitor[] monitors;
    private readonly bool[] active;

    public LayerProbe(NetworkLayout layout)
    {
        this.layout = layout;
        Before = new float[layout.ParameterCount];
        monitors = new LayerMonitor[layout.Layers.Count];
        active = new bool[layout.Layers.Max(l => l.Outputs)];
    }

    /// <summary>The parameters as they were before the step; the fold copies them in.</summary>
    public float[] Before { get; }

    /// <summary>Fills in every layer's figures from the step's outputs in <paramref name="workspace"/> ([count, outputs] per layer).</summary>
    public IReadOnlyList<LayerMonitor> Measure<TNet>(ReadOnlySpan<float> after, ReadOnlySpan<float> gradient, int count, Workspace workspace)
        where TNet : class, INetwork<TNet>
    {
        for (int i = 0; i < monitors.Length; i++)
        {
            var l = layout.Layers[i];
            var before = Before.AsSpan(l.WeightsOffset, l.WeightCount);
            var y = TNet.LayerOutput(workspace, i, count);
            var (mean, std) = MeanAndStd(y);
            monitors[i] = new LayerMonitor(l.Name, l.Activation,
                WeightNorm: TensorPrimitives.Norm(before),
                GradientNorm: TensorPrimitives.Norm(gradient.Slice(l.WeightsOffset, l.WeightCount)),
                UpdateNorm: TensorPrimitives.Distance(after.Slice(l.WeightsOffset, l.WeightCount), before),
                ActivationMean: mean, ActivationStd: std,
                DeadFraction: CanDie(l.Activation) ? DeadFraction(y, l.Outputs) : null,
                SaturatedFraction: SaturatedFraction(y, l.Activation));
        }
        return monitors;
    }

    /// <summary>The ReLU family: an output that stays at or below 0 for every input passes (next to) no gradient back.</summary>
    private static bool CanDie(ActivationKind kind) => kind is ActivationKind.Relu or ActivationKind.LeakyRelu or ActivationKind.PRelu or ActivationKind.Elu;

    internal static (double Mean, double Std) MeanAndStd(ReadOnlySpan<float> y)
    {
        double sum = 0, squares = 0;
        foreach (var v in y)
        {
            sum += v;
            squares += (double)v * v;
        }
        double mean = sum / y.Length;
        return (mean, Math.Sqrt(Math.Max(0, squares / y.Length - mean * mean)));
    }

    private double DeadFraction(ReadOnlySpan<float> y, int units)
    {
        var alive = active.AsSpan(0, units);
        alive.Clear();
        for (int row = 0; row < y.Length / units; row++)
        {
            var r = y.Slice(row * units, units);
            for (int u = 0; u < units; u++) alive[u] |= r[u] > 0;
        }
        int dead = 0;
        foreach (bool a in alive) if (!a) dead++;
        return (double)dead / units;
    }

    /// <summary>The share of outputs within 1 % of a sigmoid's or tanh's asymptotes; null for activations that cannot saturate.</summary>
    internal static double? SaturatedFraction(ReadOnlySpan<float> y, ActivationKind kind)
    {
        if (kind is not (ActivationKind.Sigmoid or ActivationKind.Tanh)) return null;
        // Dropout scales kept outputs by 1/(1 − p) and zeroes the rest; the thresholds are for the activation's own range.
        float low = kind == ActivationKind.Sigmoid ? 0.01f : -0.99f, high = 0.99f;
        int saturated = 0;
        foreach (var v in y) if (v < low || v > high) saturated++;
        return (double)saturated / y.Length;
    }
}
