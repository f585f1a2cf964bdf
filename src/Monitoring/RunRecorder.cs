// Keeps what a run's pictures and report need — every step's losses, per-layer statistics at a cadence, epochs and activation histograms — in bounded memory.
using Functional.Persistence;
using Functional.Training;

namespace Functional.Monitoring;

/// <summary>One step as recorded: floats are enough for plotting and keep 10 epochs × 860 steps near 200 KB.</summary>
public readonly record struct StepRecord(long Step, int Epoch, float DataLoss, float Penalty, float Accuracy)
{
    /// <summary>What the step minimised: data loss plus L2 penalty.</summary>
    public float Loss => DataLoss + Penalty;
}

/// <summary>One layer on one statistics step (a copy of the fold's <see cref="LayerMonitor"/>, which is only valid during its call).</summary>
public readonly record struct LayerSample(
    long Step, int Epoch, int Layer, double WeightNorm, double GradientNorm, double UpdateNorm,
    double ActivationMean, double ActivationStd, double? DeadFraction, double? SaturatedFraction)
{
    /// <summary>‖ΔW‖ / ‖W‖; the lecture's healthy value is about 1e-3.</summary>
    public double UpdateRatio => WeightNorm == 0 ? double.PositiveInfinity : UpdateNorm / WeightNorm;
}

/// <summary>
/// One finished epoch. <see cref="TrainLoss"/> is what was minimised (data loss + L2 penalty), <see cref="TrainDataLoss"/> the
/// same without the penalty, so a strong L2 cannot pass for a poor fit; both are count-weighted means over the epoch's steps.
/// </summary>
public sealed record EpochRecord(
    int Epoch, long FirstStep, long LastStep, float LearningRate, double TrainLoss, double TrainDataLoss, double TrainAccuracy,
    double ValidationLoss, double ValidationAccuracy, double Seconds)
{
    /// <summary>The epoch's mean L2 penalty: the part of <see cref="TrainLoss"/> that is not the data loss.</summary>
    public double TrainPenalty => TrainLoss - TrainDataLoss;
}

/// <summary>Per-layer activation histograms measured at one epoch (epoch 0: before training).</summary>
public sealed record ActivationSnapshot(int Epoch, IReadOnlyList<LayerStatistics> Layers);

/// <summary>
/// An observer that records a run for its pictures and report. Pass it to the fold (alone or in <see cref="Observers.All"/>),
/// call <see cref="BeginEpoch"/> before and <see cref="EndEpoch"/> after each epoch's fold (the fold knows no validation
/// set, so the caller brings those figures), and <see cref="AddActivations"/> at the epochs whose histograms you want.
/// A step appends one struct (no allocation beyond the list's amortised growth, none at all within
/// <c>expectedSteps</c>); a statistics step appends one struct per layer.
/// </summary>
public sealed class RunRecorder : IStepObserver
{
    private readonly List<StepRecord> steps;
    private readonly List<LayerSample> samples;
    private readonly List<string> layerNames = [];
    private readonly List<ActivationKind> layerActivations = [];
    private readonly List<EpochRecord> epochs = [];
    private readonly List<ActivationSnapshot> activations = [];
    private int epoch = 1;
    private float learningRate = float.NaN;
    private long firstStep = -1, lastStep = -1;
    // Epoch sums in double and weighted by rows, so a short last batch counts for what it is.
    private double lossSum, dataLossSum;
    private long correct, seen;

    /// <param name="layerStatisticsEvery">Every how many steps the fold computes per-layer statistics (0: never; each costs about one extra step).</param>
    /// <param name="expectedSteps">Steps the run will take (epochs × batches per epoch), to preallocate; 0 if unknown.</param>
    /// <param name="expectedLayers">Layers of the network, to preallocate the statistics; 0 if unknown.</param>
    public RunRecorder(int layerStatisticsEvery = 50, int expectedSteps = 0, int expectedLayers = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layerStatisticsEvery);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedLayers);
        LayerStatisticsEvery = layerStatisticsEvery;
        steps = new List<StepRecord>(expectedSteps);
        samples = new List<LayerSample>(layerStatisticsEvery == 0 ? 0 : (expectedSteps / layerStatisticsEvery + 1) * Math.Max(1, expectedLayers));
    }

    /// <summary>A recorder sized for <typeparamref name="TNet"/> trained <paramref name="epochs"/> × <paramref name="batchesPerEpoch"/> steps.</summary>
    public static RunRecorder For<TNet>(int epochs, int batchesPerEpoch, int layerStatisticsEvery = 50) where TNet : class, INetwork<TNet>
    {
        var recorder = new RunRecorder(layerStatisticsEvery, checked(epochs * batchesPerEpoch), TNet.Layout.Layers.Count);
        foreach (var layer in TNet.Layout.Layers) recorder.IndexOf(layer.Name, layer.Activation);
        return recorder;
    }

    /// <summary>How often (in steps) the fold computes per-layer statistics for this recorder; 0 for never.</summary>
    public int LayerStatisticsEvery { get; }

    /// <summary>One record per step, in step order: the loss curve.</summary>
    public IReadOnlyList<StepRecord> Steps => steps;

    /// <summary>Per-layer statistics in step order; <see cref="LayerSample.Layer"/> indexes <see cref="LayerNames"/>.</summary>
    public IReadOnlyList<LayerSample> LayerSamples => samples;

    /// <summary>The layers' declared names, in the order the fold first reported them.</summary>
    public IReadOnlyList<string> LayerNames => layerNames;

    /// <summary>Each layer's declared activation, parallel to <see cref="LayerNames"/>.</summary>
    public IReadOnlyList<ActivationKind> LayerActivations => layerActivations;

    /// <summary>One record per finished epoch (<see cref="EndEpoch"/>), with its train and validation figures.</summary>
    public IReadOnlyList<EpochRecord> Epochs => epochs;

    /// <summary>The per-layer activation statistics and histograms added by <see cref="AddActivations"/>, in the order they were added.</summary>
    public IReadOnlyList<ActivationSnapshot> Activations => activations;

    /// <summary>The epoch whose steps are being recorded (1-based).</summary>
    public int CurrentEpoch => epoch;

    /// <summary>
    /// Marks the start of <paramref name="number"/> (1-based) trained at <paramref name="rate"/>. Optional: without it epochs
    /// count up from 1 and the rate is NaN. A run resumed mid-epoch passes the checkpoint's <paramref name="soFar"/>, so the
    /// epoch's record covers all of its batches.
    /// </summary>
    public void BeginEpoch(int number, float rate, EpochTally? soFar = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        epoch = number;
        learningRate = rate;
        if (soFar is { } t) (lossSum, dataLossSum, correct, seen, firstStep) = (t.LossSum, t.DataLossSum, t.Correct, t.Seen, t.FirstStep);
    }

    /// <summary>The current epoch's sums so far, for a checkpoint written mid-epoch.</summary>
    public EpochTally SoFar => new(lossSum, dataLossSum, correct, seen, firstStep);

    /// <summary>Records the step's losses and accuracy, and its layer statistics when it carries them; never stops the fold.</summary>
    public Verdict OnStep(in StepReport report)
    {
        steps.Add(new StepRecord(report.Step, epoch, report.DataLoss, report.Penalty, (float)report.Accuracy));
        if (firstStep < 0) firstStep = report.Step;
        lastStep = report.Step;
        lossSum += (double)report.Loss * report.Count;
        dataLossSum += (double)report.DataLoss * report.Count;
        correct += report.Correct;
        seen += report.Count;
        if (report.Layers is { } layers)
            for (int i = 0; i < layers.Count; i++)
            {
                var l = layers[i];
                samples.Add(new LayerSample(report.Step, epoch, IndexOf(l.Layer, l.Activation), l.WeightNorm, l.GradientNorm, l.UpdateNorm,
                    l.ActivationMean, l.ActivationStd, l.DeadFraction, l.SaturatedFraction));
            }
        return Verdict.Continue;
    }

    /// <summary>
    /// Closes the current epoch with figures the fold cannot know (validation, wall time) and returns its record; the next
    /// steps belong to the next epoch (at the same learning rate until <see cref="BeginEpoch"/> says otherwise).
    /// </summary>
    public EpochRecord EndEpoch(double validationLoss, double validationAccuracy, double seconds)
    {
        var record = new EpochRecord(epoch, firstStep, lastStep, learningRate,
            seen == 0 ? double.NaN : lossSum / seen, seen == 0 ? double.NaN : dataLossSum / seen, seen == 0 ? 0 : (double)correct / seen,
            validationLoss, validationAccuracy, seconds);
        epochs.Add(record);
        epoch++;
        firstStep = lastStep = -1;
        lossSum = dataLossSum = 0;
        correct = seen = 0;
        return record;
    }

    /// <summary>Keeps activation histograms measured at <paramref name="atEpoch"/> (0: before training), e.g. <see cref="ActivationStatistics.Measure{TNet}"/>'s result.</summary>
    public void AddActivations(int atEpoch, IReadOnlyList<LayerStatistics> layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(atEpoch);
        ArgumentNullException.ThrowIfNull(layers);
        // Copied: the caller keeps its arrays, and a later change to them must not rewrite this run's history.
        activations.Add(new ActivationSnapshot(atEpoch, layers.Select(l => l with { Histogram = (float[])l.Histogram.Clone() }).ToArray()));
    }

    private int IndexOf(string name, ActivationKind activation)
    {
        // A handful of layers: a linear scan beats a dictionary and allocates nothing.
        for (int i = 0; i < layerNames.Count; i++)
            if (ReferenceEquals(layerNames[i], name) || layerNames[i] == name) return i;
        layerNames.Add(name);
        layerActivations.Add(activation);
        return layerNames.Count - 1;
    }
}
