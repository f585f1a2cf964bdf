// Exported ONNX models, run by onnxruntime, agree with the generated inference: every activation, batch norm, convolution and pooling, preprocessing, a trained network.
using Functional.Data;
using Functional.Export;
using Functional.Optimizers;
using Functional.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Agreement asked of onnxruntime and Infer: relative, row by row (see Difference).</summary>
    private const double Tolerance = 1e-5;

    private readonly string folder = Directory.CreateTempSubdirectory("functional-onnx-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<Type> Networks { get; } =
    [
        typeof(Sigmoid), typeof(SigmoidBn), typeof(SigmoidBnDrop), typeof(Tanh), typeof(TanhBn), typeof(TanhDrop),
        typeof(Relu), typeof(ReluBn), typeof(ReluBnDrop), typeof(Leaky), typeof(LeakyBn), typeof(LeakyDrop),
        typeof(PRelu), typeof(PReluBn), typeof(PReluShared), typeof(PReluSharedBnDrop),
        typeof(Elu), typeof(EluBn), typeof(EluDrop), typeof(Maxout), typeof(MaxoutBn), typeof(MaxoutBnDrop),
        typeof(Gelu), typeof(GeluBnDrop), typeof(Silu), typeof(SiluBn), typeof(GeluScores),
        typeof(StagedScores), typeof(HingeNet), typeof(ReluScores), typeof(AwkwardMlp), typeof(SoftmaxRegression),
        // Convolutions: Reshape to NCHW, Conv (stride, padding), per-channel BatchNormalization, MaxPool/AveragePool, Flatten.
        typeof(CnnMaxPool), typeof(CnnStridePadding), typeof(CnnDropout), typeof(CnnOverlap), typeof(CnnSigmoid), typeof(CnnElu),
        typeof(CnnGelu), typeof(CnnSilu), typeof(CnnLinear), typeof(CnnBatchNorm), typeof(CnnBatchNormDropout),
    ];

    [Theory]
    [MemberData(nameof(Networks))]
    public void Export_agrees_with_Infer(Type network)
    {
        double difference = (double)typeof(OnnxExportTests).GetMethod(nameof(RoundTrip), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .MakeGenericMethod(network).Invoke(this, [])!;
        Assert.True(difference <= Tolerance, $"{network.Name}: onnxruntime and Infer differ by {difference:E2} (relative)");
    }

    /// <summary>Random parameters and batch-norm statistics (so slopes, γ, β, μ and σ² all differ per unit), random inputs.</summary>
    private double RoundTrip<TNet>() where TNet : class, INetwork<TNet>
    {
        var random = new SeededRandom(typeof(TNet).Name.Length);
        var parameters = new float[TNet.ParameterCount];
        for (int i = 0; i < parameters.Length; i++) parameters[i] = (float)(0.6 * random.NextGaussian());
        var buffers = new float[TNet.BufferCount];
        foreach (var layer in TNet.Layout.Layers.Where(l => l.BatchNormEpsilon is not null))
            for (int j = 0; j < layer.Dense.Width; j++)
            {
                buffers[layer.Dense.RunningMeanOffset + j] = (float)(0.5 * random.NextGaussian());
                buffers[layer.Dense.RunningVarianceOffset + j] = (float)(0.2 + 2 * random.NextDouble());
            }
        var model = TNet.FromParameters(parameters, buffers);
        var data = TestData.Random(97, TNet.InputCount, TNet.ClassCount, seed: 5);
        string path = Path.Combine(folder, typeof(TNet).Name + ".onnx");
        Onnx.Save(path, model).ThrowIfFail();
        double difference = Compare(model, path, data.Features.ToArray(), data.Features.ToArray(), data.Count);
        output.WriteLine($"{typeof(TNet).Name} ({TNet.Layout.Loss}): max relative difference {difference:E2}");
        return difference;
    }

    [Fact]
    public void Softmax_networks_output_probabilities_and_hinge_networks_raw_scores()
    {
        string soft = Path.Combine(folder, "soft.onnx"), hinge = Path.Combine(folder, "hinge.onnx");
        Onnx.Save(soft, TinyMlp.Init(1)).ThrowIfFail();
        Onnx.Save(hinge, HingeNet.Init(1)).ThrowIfFail();
        using var softSession = new InferenceSession(soft);
        using var hingeSession = new InferenceSession(hinge);
        Assert.Equal([Onnx.InputName], softSession.InputMetadata.Keys);
        Assert.Equal([Onnx.ProbabilitiesName], softSession.OutputMetadata.Keys);
        Assert.Equal([Onnx.ScoresName], hingeSession.OutputMetadata.Keys);
        Assert.Equal([-1, 3], softSession.OutputMetadata[Onnx.ProbabilitiesName].Dimensions);
        Assert.Equal("Hinge", hingeSession.ModelMetadata.CustomMetadataMap["loss"]);
    }

    [Fact]
    public void A_trained_network_with_batch_norm_and_its_standardisation_agrees_on_Fashion_MNIST_test_rows()
    {
        var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
        var pipeline = Preprocess.Standardize(Granularity.Scalar).Fit(subset.Train);
        var train = pipeline.Apply(subset.Train);
        var trained = Enumerable.Range(1, 2).Aggregate(TrainState.Of(SubsetMlpBatchNorm.Init(3), Sgd.Momentum(0.05f, 0.9f)),
            (state, epoch) => train.Batches(64, seed: epoch).Fold(state, SubsetMlpBatchNorm.Step)).Model;
        var test = subset.Test;
        string path = Path.Combine(folder, "fashion.onnx");
        Onnx.Save(path, trained, pipeline).ThrowIfFail();
        // The exported graph standardises raw pixels itself; Infer is given them standardised by the pipeline.
        double difference = Compare(trained, path, test.Features.ToArray(), pipeline.Apply(test).Features.ToArray(), test.Count);
        output.WriteLine($"Fashion-MNIST subset, {test.Count} test rows: max relative difference {difference:E2}; accuracy {Evaluate.On(trained, pipeline.Apply(test))}");
        Assert.True(difference <= Tolerance, $"differ by {difference:E2}");
    }

    [Fact]
    public void Pca_and_whitening_pipelines_are_exported_in_front_of_the_network()
    {
        var raw = TestData.Random(200, 12, 3, seed: 2);
        var pca = Preprocess.Center(Granularity.PerChannel(3)).Then(Preprocess.Scale(Granularity.PerFeature)).Then(Preprocess.Pca(6)).Fit(raw);
        var model = TinyMlp.Init(4);
        string path = Path.Combine(folder, "pca.onnx");
        Onnx.Save(path, model, pca).ThrowIfFail();
        double pcaDifference = Compare(model, path, raw.Features.ToArray(), pca.Apply(raw).Features.ToArray(), raw.Count);

        var six = TestData.Random(200, 6, 3, seed: 3);
        var zca = Preprocess.Center(Granularity.Scalar).Then(Preprocess.ZcaWhiten()).Fit(six);
        Onnx.Save(path, model, zca).ThrowIfFail();
        double zcaDifference = Compare(model, path, six.Features.ToArray(), zca.Apply(six).Features.ToArray(), six.Count);

        var whiten = Preprocess.PcaWhiten(k: 6).Fit(raw);
        Onnx.Save(path, model, whiten).ThrowIfFail();
        double whitenDifference = Compare(model, path, raw.Features.ToArray(), whiten.Apply(raw).Features.ToArray(), raw.Count);
        output.WriteLine($"max relative difference: PCA {pcaDifference:E2}, ZCA {zcaDifference:E2}, PCA whitening {whitenDifference:E2}");
        Assert.True(Math.Max(pcaDifference, Math.Max(zcaDifference, whitenDifference)) <= Tolerance);
    }

    /// <summary>
    /// onnxruntime on <paramref name="onnxInput"/> against Infer on <paramref name="inferInput"/> (the same rows, preprocessed),
    /// softmax applied to Infer's scores for a softmax network: the largest relative difference.
    /// </summary>
    private static double Compare<TNet>(TNet model, string path, float[] onnxInput, float[] inferInput, int count) where TNet : class, INetwork<TNet>
    {
        var expected = new float[count * TNet.ClassCount];
        TNet.Infer(model.Parameters.Span, model.Buffers.Span, inferInput, count, expected, TNet.CreateWorkspace(count));
        var reference = TNet.Layout.Loss == Functional.Training.LossKind.SoftmaxCrossEntropy ? Softmax(expected, count, TNet.ClassCount) : [.. expected.Select(v => (double)v)];

        using var session = new InferenceSession(path);
        int features = onnxInput.Length / count;
        var input = new DenseTensor<float>(onnxInput, [count, features]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(Onnx.InputName, input)]);
        var actual = results.Single().AsEnumerable<float>().ToArray();
        Assert.Equal(reference.Length, actual.Length);
        return Difference(actual, reference, TNet.ClassCount);
    }

    /// <summary>
    /// Per row, max_j |a − b| / max_j |b| (the row's normwise relative difference), the worst row's. Element by element
    /// would not do for raw scores: a score near 0 that Infer computes as γ/σ·z + (β − μγ/σ) carries the rounding of
    /// the larger terms it cancels (6·10⁻⁸ on a score of 7.5·10⁻⁴ in StagedScores, 6·10⁻⁵ relative), a float fact
    /// about batch norm's arithmetic rather than a difference between the two graphs.
    /// </summary>
    private static double Difference(float[] actual, double[] expected, int classes)
    {
        double worst = 0;
        for (int r = 0; r < actual.Length / classes; r++)
        {
            double error = 0, scale = 0;
            for (int c = r * classes; c < (r + 1) * classes; c++)
            {
                error = Math.Max(error, Math.Abs(actual[c] - expected[c]));
                scale = Math.Max(scale, Math.Abs(expected[c]));
            }
            worst = Math.Max(worst, scale > 0 ? error / scale : error);
        }
        return worst;
    }

    private static double[] Softmax(float[] scores, int count, int classes)
    {
        var p = new double[scores.Length];
        for (int r = 0; r < count; r++)
        {
            var row = scores.AsSpan(r * classes, classes);
            double max = row.ToArray().Max(), sum = 0;
            for (int c = 0; c < classes; c++) sum += p[r * classes + c] = Math.Exp(row[c] - max);
            for (int c = 0; c < classes; c++) p[r * classes + c] /= sum;
        }
        return p;
    }
}
