// The fold's per-layer statistics against a naive double-precision computation of the same step; statistics never change training; observers stop the fold.
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Integration.Tests;

public sealed class MonitoringTests
{
    private sealed class Capture(int every, long stopAt = long.MaxValue) : IStepObserver
    {
        public int LayerStatisticsEvery => every;
        public List<(long Step, LayerMonitor[] Layers)> Seen { get; } = [];
        public long LastStep { get; private set; }

        public Verdict OnStep(in StepReport report)
        {
            LastStep = report.Step;
            if (report.Layers is { } layers) Seen.Add((report.Step, [.. layers]));
            return report.Step >= stopAt ? Verdict.Stop : Verdict.Continue;
        }
    }

    private static readonly Dataset Data = TestData.Random(160, 6, 3, seed: 31);

    [Fact]
    public void Layer_statistics_match_a_naive_computation_of_the_same_step() => StatisticsMatchNaive<TinyMlp>(Data);

    /// <summary>A convolution's W is F·C·K·K floats and its output the pooled image, flattened: what its monitor measures.</summary>
    [Fact]
    public void Convolution_layer_statistics_match_a_naive_computation_of_the_same_step() =>
        StatisticsMatchNaive<CnnMaxPool>(TestData.Random(160, CnnMaxPool.InputCount, CnnMaxPool.ClassCount, seed: 31));

    private static void StatisticsMatchNaive<TNet>(Dataset data) where TNet : class, INetwork<TNet>
    {
        var start = TrainState.Of(TNet.Init(seed: 4), Sgd.Momentum(0.1f, 0.9f));
        var step = new TrainStep<TNet>(L2: 1e-3f);
        var batches = data.Batches(16, seed: 2).ToList();
        var capture = new Capture(every: 7);
        batches.Fold(start, step, capture);
        Assert.Equal([7L], capture.Seen.Select(s => s.Step));

        // The same step by hand: the state after 6 steps, its whole gradient, the pure optimizer update.
        var before = batches.Take(6).Fold(start, step);
        var w0 = before.Model.Parameters.ToArray();
        var gradient = new float[TNet.ParameterCount];
        var workspace = Workspace<TNet>(16);
        var result = Gradient<TNet>(w0, batches[6], new StepOptions(1e-3f, Kernels.Dropout.Mix(0, 6)), gradient, workspace);
        var (updates, _) = before.Optimizer.Update(gradient, before.OptimizerState, w0);

        var seen = capture.Seen[0].Layers;
        for (int i = 0; i < TNet.Layout.Layers.Count; i++)
        {
            var l = TNet.Layout.Layers[i];
            var m = seen[i];
            Assert.Equal(l.Name, m.Layer);
            Assert.Equal(Norm(w0.AsSpan(l.WeightsOffset, l.WeightCount)), m.WeightNorm, 1e-5);
            Assert.Equal(Norm(gradient.AsSpan(l.WeightsOffset, l.WeightCount)), m.GradientNorm, 1e-5);
            Assert.Equal(Norm(updates.AsSpan(l.WeightsOffset, l.WeightCount)), m.UpdateNorm, 1e-6);
            var y = Output<TNet>(workspace, i, result.Count);
            double mean = y.Average(v => (double)v);
            Assert.Equal(mean, m.ActivationMean, 1e-6);
            Assert.Equal(Math.Sqrt(y.Average(v => (v - mean) * (v - mean))), m.ActivationStd, 1e-5);
            if (l.Activation == ActivationKind.Relu)
            {
                int units = l.Outputs, rows = y.Length / units;
                double dead = Enumerable.Range(0, units).Count(u => Enumerable.Range(0, rows).All(r => y[r * units + u] <= 0)) / (double)units;
                Assert.Equal(dead, m.DeadFraction);
            }
            else Assert.Null(m.DeadFraction);
            Assert.Null(m.SaturatedFraction); // ReLU and linear layers cannot saturate
        }
    }

    [Fact]
    public void Saturation_is_reported_for_tanh_and_sigmoid_and_death_for_the_relu_family_only()
    {
        var tanh = Fold<Tanh>();
        Assert.All(tanh.Where(m => m.Activation == ActivationKind.Tanh), m => Assert.NotNull(m.SaturatedFraction));
        Assert.All(tanh, m => Assert.Null(m.DeadFraction));
        var sigmoid = Fold<Sigmoid>();
        Assert.Contains(sigmoid, m => m.Activation == ActivationKind.Sigmoid && m.SaturatedFraction is >= 0 and <= 1);
        var relu = Fold<Relu>();
        Assert.All(relu, m => Assert.Null(m.SaturatedFraction));
        Assert.Contains(relu, m => m.DeadFraction is >= 0 and <= 1);
    }

    private static LayerMonitor[] Fold<TNet>() where TNet : class, INetwork<TNet>
    {
        var capture = new Capture(every: 3);
        Data.Batches(16, seed: 1).Fold(TrainState.Of(TNet.Init(1), Sgd.Momentum(0.05f, 0.9f)), new TrainStep<TNet>(), capture);
        return capture.Seen[0].Layers;
    }

    [Fact]
    public void Activation_statistics_see_the_last_layer_and_report_saturation_only_for_tanh_and_sigmoid()
    {
        var inputs = ActivationStatistics.GaussianInputs(50, 6, seed: 2);
        var relu = ActivationStatistics.Measure(TinyMlp.Init(seed: 1), inputs, 50);
        // The scores layer used to read a buffer inference never wrote: all zeros.
        Assert.True(relu[^1].Std > 0, "the last layer's outputs are all equal");
        Assert.True(relu[^1].Zero < 0.5, $"{relu[^1].Zero:P0} of the scores are zero");
        Assert.All(relu, l => Assert.Null(l.Saturated));
        var tanh = ActivationStatistics.Measure(Tanh.Init(seed: 1), inputs, 50);
        Assert.NotNull(tanh[0].Saturated);
        Assert.Null(tanh[^1].Saturated); // the linear scores layer
    }

    [Fact]
    public void Watching_never_changes_training()
    {
        var start = TrainState.Of(ReluBnDrop.Init(seed: 4), Sgd.Momentum(0.05f, 0.9f));
        var step = new TrainStep<ReluBnDrop>(L2: 1e-3f, Seed: 2);
        var plain = Data.Batches(8, seed: 3).Fold(start, step);
        var watched = Data.Batches(8, seed: 3).Fold(start, step, new Capture(every: 2));
        Assert.Equal(plain.Model.Parameters.ToArray(), watched.Model.Parameters.ToArray());
        Assert.Equal(plain.Model.Buffers.ToArray(), watched.Model.Buffers.ToArray());
    }

    [Fact]
    public void An_observer_stops_the_fold_which_returns_the_state_after_that_step()
    {
        var start = TrainState.Of(TinyMlp.Init(seed: 4), Sgd.Momentum(0.05f, 0.9f));
        var batches = Data.Batches(16, seed: 2).ToList();
        var stopper = new Capture(every: 0, stopAt: 4);
        var stopped = batches.Fold(start, TinyMlp.Step, stopper);
        Assert.Equal(4, stopped.StepCount);
        Assert.Equal(4, stopper.LastStep);
        Assert.Equal(batches.Take(4).Fold(start, TinyMlp.Step).Model.Parameters.ToArray(), stopped.Model.Parameters.ToArray());
    }

    // Through the interface, as the fold calls them.
    private static Workspace Workspace<TNet>(int rows) where TNet : class, INetwork<TNet> => TNet.CreateWorkspace(rows);

    private static BatchResult Gradient<TNet>(float[] parameters, Batch batch, StepOptions options, float[] gradient, Workspace workspace)
        where TNet : class, INetwork<TNet> => TNet.ComputeGradient(parameters, [], batch, options, gradient, workspace);

    private static float[] Output<TNet>(Workspace workspace, int layer, int count) where TNet : class, INetwork<TNet> =>
        TNet.LayerOutput(workspace, layer, count).ToArray();

    private static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += (double)v * v;
        return Math.Sqrt(sum);
    }
}
