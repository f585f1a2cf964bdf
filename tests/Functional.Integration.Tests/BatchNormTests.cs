// Batch normalization's promises: normalised features in training, running statistics for inference, faster early training.
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Training;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

/// <summary>A linear layer with batch norm, so its output is exactly γ·x̂ + β (= x̂ at initialisation).</summary>
[Network(Inputs = 20)]
public sealed partial record BatchNormProbe(
    [Dense(50), BatchNorm] Dense Normalised,
    [Dense(4), SoftmaxCrossEntropy] Dense Scores);

/// <summary>SubsetMlp with batch norm before its ReLU.</summary>
[Network(Inputs = 784)]
public sealed partial record SubsetMlpBatchNorm(
    [Dense(64), BatchNorm, Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

public sealed class BatchNormTests(ITestOutputHelper output)
{
    private static readonly Dataset Data = Shifted(TestData.Random(512, 20, 4, seed: 3));

    /// <summary>Features with a non-zero mean and a spread far from 1, so normalisation has something to do.</summary>
    private static Dataset Shifted(Dataset d) => d.WithFeatures(d.Features.ToArray().Select((v, i) => 3f * v + 2f + i % 5).ToArray());

    private static (double[] Mean, double[] Std) Columns(ReadOnlySpan<float> values, int rows, int width)
    {
        var mean = new double[width];
        var std = new double[width];
        for (int j = 0; j < width; j++)
        {
            double sum = 0, squares = 0;
            for (int b = 0; b < rows; b++) { double v = values[b * width + j]; sum += v; squares += v * v; }
            mean[j] = sum / rows;
            std[j] = Math.Sqrt(squares / rows - mean[j] * mean[j]);
        }
        return (mean, std);
    }

    [Fact]
    public void In_training_each_feature_is_normalised_to_mean_0_and_std_1_before_gamma_and_beta()
    {
        var model = BatchNormProbe.Init(seed: 1);
        var workspace = new BatchNormProbe.Workspace(64);
        var batch = Data.Batches(64, seed: 1).First();
        BatchNormProbe.ComputeGradient(model.Parameters.Span, model.Buffers.ToArray(), batch, new StepOptions(), new float[BatchNormProbe.ParameterCount], workspace);

        var (mean, std) = Columns(BatchNormProbe.LayerOutput(workspace, 0, 64), 64, 50);
        output.WriteLine($"max |mean| {mean.Max(Math.Abs):E2}, std in [{std.Min():F5}, {std.Max():F5}]");
        Assert.All(mean, m => Assert.True(Math.Abs(m) < 1e-5, $"feature mean {m}"));
        Assert.All(std, s => Assert.InRange(s, 0.999, 1.0001));
    }

    [Fact]
    public void Inference_matches_training_once_the_running_averages_settle()
    {
        var model = BatchNormProbe.Init(seed: 2);
        var buffers = model.Buffers.ToArray();
        var workspace = new BatchNormProbe.Workspace(Data.Count);
        var all = TestData.All(Data);
        var gradient = new float[BatchNormProbe.ParameterCount];

        double Gap(float[] runningStatistics)
        {
            BatchNormProbe.ComputeGradient(model.Parameters.Span, runningStatistics.ToArray(), all, new StepOptions(), gradient, workspace);
            var training = BatchNormProbe.LayerOutput(workspace, 0, Data.Count).ToArray();
            BatchNormProbe.Infer(model.Parameters.Span, runningStatistics, Data.Features, Data.Count, new float[Data.Count * 4], workspace);
            var inference = BatchNormProbe.LayerOutput(workspace, 0, Data.Count).ToArray();
            return training.Zip(inference, (a, b) => Math.Abs(a - b)).Max();
        }

        double fresh = Gap(buffers);
        // Training steps on the same data move the running mean and variance to its statistics ((1 − 0.1)^100 ≈ 3e-5 of the start remains).
        for (int i = 0; i < 100; i++)
            BatchNormProbe.ComputeGradient(model.Parameters.Span, buffers, all, new StepOptions(), gradient, workspace);
        double settled = Gap(buffers);
        output.WriteLine($"max |training − inference|: fresh statistics {fresh:F3}, settled {settled:E2}");
        Assert.True(fresh > 1, $"fresh running statistics should not match the batch (gap {fresh})");
        // What remains is the unbiased variance's factor 512/511 in the running average: about 0.1 % of x̂.
        Assert.True(settled < 5e-3, $"gap after settling {settled}");
    }

    private sealed class MeanLoss : IStepObserver
    {
        public double Sum { get; private set; }
        public int Steps { get; private set; }
        public Verdict OnStep(in StepReport report) { Sum += report.Loss; Steps++; return Verdict.Continue; }
        public double Mean => Sum / Steps;
    }

    [Fact]
    public void At_a_high_learning_rate_batch_norm_makes_the_first_epoch_loss_fall_faster()
    {
        var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
        // Raw pixels in [0, 1], no preprocessing: exactly the situation batch norm is meant to rescue.
        var optimizer = Sgd.Momentum(0.5f, 0.9f);
        var plain = new MeanLoss();
        var normalised = new MeanLoss();
        subset.Train.Batches(32, seed: 1).Fold(TrainState.Of(SubsetMlp.Init(1), optimizer), SubsetMlp.Step, plain);
        subset.Train.Batches(32, seed: 1).Fold(TrainState.Of(SubsetMlpBatchNorm.Init(1), optimizer), SubsetMlpBatchNorm.Step, normalised);
        output.WriteLine($"first-epoch mean loss at lr 0.5, momentum 0.9: plain {plain.Mean:F3}, batch norm {normalised.Mean:F3}");
        Assert.True(normalised.Mean < 0.8 * plain.Mean || double.IsNaN(plain.Mean), $"batch norm {normalised.Mean:F3} vs plain {plain.Mean:F3}");
        // …and it is actually learning: well below the ln(10) ≈ 2.30 of guessing.
        Assert.True(double.IsFinite(normalised.Mean) && normalised.Mean < 0.6 * Math.Log(10), $"batch norm's first epoch mean loss {normalised.Mean:F3}");
    }
}
