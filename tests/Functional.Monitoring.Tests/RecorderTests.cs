// The recorder keeps every step, per-layer statistics only at its cadence, count-weighted epoch means, and allocates nothing per step.
using Functional.Training;

namespace Functional.Monitoring.Tests;

public sealed class RecorderTests
{
    private static readonly LayerMonitor[] Layers =
    [
        new("Hidden", Functional.ActivationKind.Relu, 2.0, 0.5, 0.002, 0.3, 0.4, 0.05, null),
        new("Scores", Functional.ActivationKind.None, 1.0, 0.2, 0.001, 0.0, 1.0, null, null),
    ];

    [Fact]
    public void Epoch_figures_are_row_weighted_means_with_the_L2_penalty_kept_apart()
    {
        var recorder = new RunRecorder(layerStatisticsEvery: 0);
        recorder.BeginEpoch(1, 0.1f);
        recorder.OnStep(new StepReport(1, DataLoss: 1.0f, Penalty: 0.5f, Correct: 32, Count: 64));
        // A short last batch weighs what it holds.
        recorder.OnStep(new StepReport(2, DataLoss: 2.0f, Penalty: 0.5f, Correct: 0, Count: 16));
        var e = recorder.EndEpoch(validationLoss: 1.2, validationAccuracy: 0.6, seconds: 3);

        Assert.Equal((1.0 * 64 + 2.0 * 16) / 80, e.TrainDataLoss, 6);
        Assert.Equal((1.5 * 64 + 2.5 * 16) / 80, e.TrainLoss, 6);
        Assert.Equal(0.5, e.TrainPenalty, 6);
        Assert.Equal(32.0 / 80, e.TrainAccuracy, 9);
        Assert.Equal((1, 1L, 2L, 0.1f, 1.2, 0.6, 3.0), (e.Epoch, e.FirstStep, e.LastStep, e.LearningRate, e.ValidationLoss, e.ValidationAccuracy, e.Seconds));
        // Without BeginEpoch the next steps belong to the next epoch.
        recorder.OnStep(new StepReport(3, 1f, 0f, 1, 1));
        Assert.Equal(2, recorder.Steps[^1].Epoch);
        Assert.Equal([1, 1, 2], recorder.Steps.Select(s => s.Epoch));
    }

    [Fact]
    public void Layer_statistics_are_copied_by_name_and_the_report_buffers_may_be_reused()
    {
        var recorder = new RunRecorder(layerStatisticsEvery: 10);
        var buffer = (LayerMonitor[])Layers.Clone();
        recorder.OnStep(new StepReport(10, 1f, 0f, 1, 2, buffer));
        buffer[0] = buffer[0] with { UpdateNorm = 99 };
        recorder.OnStep(new StepReport(20, 1f, 0f, 1, 2, buffer));

        Assert.Equal(["Hidden", "Scores"], recorder.LayerNames);
        Assert.Equal([Functional.ActivationKind.Relu, Functional.ActivationKind.None], recorder.LayerActivations);
        Assert.Equal(4, recorder.LayerSamples.Count);
        Assert.Equal(0.001, recorder.LayerSamples[0].UpdateRatio, 12);
        Assert.Equal(49.5, recorder.LayerSamples[2].UpdateRatio, 12);
        Assert.Equal(0.05, recorder.LayerSamples[0].DeadFraction);
    }

    [Fact]
    public void A_steady_state_step_allocates_nothing_within_the_expected_steps()
    {
        const int window = 2000, windows = 3, steps = 1 + window * windows;
        var recorder = new RunRecorder(layerStatisticsEvery: 50, expectedSteps: steps, expectedLayers: Layers.Length);
        IReadOnlyList<LayerMonitor> layers = Layers;
        // One statistics step first, so the layer names are known; the rest is the steady state.
        recorder.OnStep(new StepReport(0, 1f, 0f, 1, 1, layers));
        int i = 1;
        long allocated = Functional.Tests.AllocationWindows.Measure(() =>
        {
            for (int end = i + window; i < end; i++)
                recorder.OnStep(new StepReport(i, 1f, 0.1f, 3, 4, i % 50 == 0 ? layers : null));
        }, windows);

        Assert.Equal(0, allocated);
        Assert.Equal(steps, recorder.Steps.Count);
        Assert.Equal((steps - 1) / 50 * Layers.Length + Layers.Length, recorder.LayerSamples.Count);
    }

    [Fact]
    public void A_real_fold_is_recorded_step_by_step_with_statistics_at_the_cadence()
    {
        var run = Run.Train(Folders.Fresh("recorder"));
        var r = run.Recorder;

        Assert.Equal(Run.Epochs, r.Epochs.Count);
        Assert.Equal(r.Epochs.Sum(e => e.LastStep - e.FirstStep + 1), r.Steps.Count);
        Assert.Equal(r.Steps.Select(s => s.Step), r.Steps.Select(s => s.Step).Order());
        Assert.All(r.LayerSamples, s => Assert.Equal(0, s.Step % Run.StatisticsEvery));
        Assert.Equal(["Hidden", "Scores"], r.LayerNames);
        Assert.All(r.LayerSamples, s => Assert.InRange(s.UpdateRatio, 1e-6, 1));
        Assert.All(r.Steps, s => Assert.True(s.Penalty > 0, "L2 is on, so every step has a penalty"));
        Assert.InRange(r.Epochs[^1].ValidationAccuracy, 0.6, 1);
        Assert.Equal([0, 1, Run.Epochs], r.Activations.Select(a => a.Epoch));
    }
}
