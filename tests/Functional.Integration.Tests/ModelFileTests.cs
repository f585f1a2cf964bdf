// A trained generated network, with its batch-norm statistics and preprocessing, survives a model file round trip.
using Functional.Data;
using Functional.Optimizers;
using Functional.Persistence;
using Functional.Training;

namespace Functional.Integration.Tests;

public sealed class ModelFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("functional-model-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Parameters_buffers_and_pipeline_round_trip_bit_for_bit()
    {
        var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
        var pipeline = Preprocess.Standardize(Granularity.Scalar).Fit(subset.Train);
        var train = pipeline.Apply(subset.Train);
        var trained = train.Take(640).Batches(64, seed: 1)
            .Fold(TrainState.Of(SubsetMlpBatchNorm.Init(3), Sgd.Momentum(0.05f, 0.9f)), SubsetMlpBatchNorm.Step).Model;
        // Ten steps moved the running statistics away from their fresh values (mean 0, variance 1).
        Assert.Contains(trained.Buffers.ToArray(), v => v != 0f && v != 1f);

        string path = Path.Combine(folder, "bn.model");
        ModelFile.Save(path, trained, pipeline).ThrowIfFail();
        var (loaded, loadedPipeline) = ModelFile.Load<SubsetMlpBatchNorm>(path).ThrowIfFail();

        Assert.Equal(trained.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(trained.Buffers.ToArray(), loaded.Buffers.ToArray());
        var test = pipeline.Apply(subset.Test);
        Assert.Equal(Evaluate.On(trained, test), Evaluate.On(loaded, loadedPipeline.Apply(subset.Test)));
    }

    [Fact]
    public void Loading_as_another_network_is_refused_naming_the_file()
    {
        string path = Path.Combine(folder, "plain.model");
        ModelFile.Save(path, SubsetMlp.Init(1), Preprocess.None.Fit(TestData.Random(4, 784, 10, seed: 1))).ThrowIfFail();
        var error = ModelFile.Load<SubsetMlpBatchNorm>(path);
        Assert.True(error.IsFail);
        error.IfFail(e => Assert.Contains(path, e.Message));
        Assert.True(ModelFile.Load<SubsetMlp>(path).IsSucc);
    }

    [Fact]
    public void A_trained_convolutional_network_with_batch_norm_round_trips_bit_for_bit()
    {
        var data = TestData.Random(160, CnnBatchNorm.InputCount, CnnBatchNorm.ClassCount, seed: 8);
        var pipeline = Preprocess.Standardize(Granularity.Scalar).Fit(data);
        var trained = pipeline.Apply(data).Batches(16, seed: 1)
            .Fold(TrainState.Of(CnnBatchNorm.Init(3), Sgd.Momentum(0.05f, 0.9f)), CnnBatchNorm.Step).Model;
        // Ten steps moved the per-channel running statistics away from their fresh values (mean 0, variance 1).
        Assert.Contains(trained.Buffers.ToArray(), v => v != 0f && v != 1f);

        string path = Path.Combine(folder, "cnn.model");
        ModelFile.Save(path, trained, pipeline).ThrowIfFail();
        var (loaded, _) = ModelFile.Load<CnnBatchNorm>(path).ThrowIfFail();
        Assert.Equal(trained.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(trained.Buffers.ToArray(), loaded.Buffers.ToArray());
        Assert.Equal(trained.Conv2.Layout, loaded.Conv2.Layout);
        // Another convolutional network's file is refused, naming it.
        var other = ModelFile.Load<CnnGelu>(path);
        Assert.True(other.IsFail);
        other.IfFail(e => Assert.Contains(path, e.Message));
    }
}
