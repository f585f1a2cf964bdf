// Every public training path refuses or reports non-finite numbers and mismatched data instead of passing them on silently.
using Functional.Data;
using Functional.Optimizers;
using Functional.Persistence;
using Functional.Training;

namespace Functional.Integration.Tests;

public sealed class SafetyTests
{
    private static Dataset Subset() => Preprocess.Standardize(Granularity.Scalar).Fit(FashionMnist.FromBuiltInSubset().ThrowIfFail().Train)
        .Apply(FashionMnist.FromBuiltInSubset().ThrowIfFail().Train);

    [Fact]
    public void A_diverging_fold_stops_with_an_error_naming_the_step_the_tensor_and_a_remedy()
    {
        var data = Subset();
        var start = TrainState.Of(SubsetMlp.Init(seed: 1), Sgd.Momentum(50f, 0.9f));
        var before = start.Model.Parameters.ToArray();

        var error = Assert.Throws<TrainingDivergedException>(() => data.Batches(64, seed: 1).Fold(start, SubsetMlp.Step));

        Assert.StartsWith($"SubsetMlp: training diverged at step {error.Step:N0}: ", error.Message);
        Assert.Contains("Try a learning rate of 5 or lower (it is 50), stronger L2, or gradient clipping.", error.Message);
        // It stops at once, not after an epoch of NaN steps.
        Assert.InRange(error.Step, 1, TrainingLoop.ParameterCheckInterval);
        if (!float.IsFinite(error.Loss)) Assert.Contains($"the loss is {error.Loss}", error.Message);
        if (error.Where is { } where) Assert.Contains($"first non-finite value: {where.Layer}.{where.Tensor}[", error.Message);
        Assert.True(error.Where is not null || !float.IsFinite(error.Loss));
        // The state the caller holds is untouched, so the last good model is at hand.
        Assert.Equal(before, start.Model.Parameters.ToArray());
    }

    [Fact]
    public void A_finite_learning_rate_that_trains_is_not_stopped()
    {
        var data = Subset();
        var state = data.Batches(64, seed: 1).Fold(TrainState.Of(SubsetMlp.Init(seed: 1), Sgd.Momentum(0.01f, 0.9f)), SubsetMlp.Step);
        Assert.Equal(data.Count / 64 + (data.Count % 64 == 0 ? 0 : 1), state.StepCount);
    }

    [Fact]
    public void Data_with_more_classes_than_the_network_scores_is_refused_before_training()
    {
        var elevenClasses = TestData.Random(40, 6, 11, seed: 3);
        var start = TrainState.Of(TinyMlp.Init(seed: 1), Sgd.Plain(0.1f));
        var error = Assert.Throws<ArgumentException>(() => elevenClasses.Batches(8, seed: 1).Fold(start, TinyMlp.Step));
        Assert.StartsWith("TinyMlp scores 3 classes but random 40×6 has 11 (labels 0..10)", error.Message);
    }

    [Fact]
    public void L2_is_validated_by_the_constructor_and_by_with()
    {
        Assert.Contains("L2 strength must be a finite number ≥ 0, got -1", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainStep<TinyMlp>(L2: -1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TinyMlp.Step with { L2 = float.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => TinyMlp.Step.WithL2(float.PositiveInfinity));
        Assert.Equal(1e-3f, (TinyMlp.Step with { L2 = 1e-3f }).L2);
    }

    [Fact]
    public void Evaluating_an_empty_set_and_predicting_from_NaN_are_refused()
    {
        var model = TinyMlp.Init(seed: 1);
        var empty = TestData.Random(10, 6, 3, seed: 1).Subset([], "nothing");
        Assert.Equal("nothing is empty: there is nothing to evaluate (Parameter 'data')", Assert.Throws<ArgumentException>(() => Evaluate.On(model, empty)).Message);
        var error = Assert.Throws<ArgumentException>(() => TinyMlp.Predict(model, [0, 1, float.NaN, 3, 4, 5]));
        Assert.StartsWith("feature 2 is NaN", error.Message);
    }

    [Fact]
    public void Saving_a_diverged_model_keeps_the_good_file()
    {
        string dir = Directory.CreateTempSubdirectory("functional-safety-").FullName;
        try
        {
            string path = Path.Combine(dir, "model.fnm");
            var pipeline = Preprocess.None.Fit(TestData.Random(4, 6, 3, seed: 1));
            ModelFile.Save(path, TinyMlp.Init(seed: 1), pipeline).ThrowIfFail();
            var good = File.ReadAllBytes(path);

            var (model, _) = ModelFile.Load<TinyMlp>(path).ThrowIfFail();
            var parameters = model.Parameters.ToArray();
            parameters[^1] = float.NaN;
            // A NaN model cannot even be built (FromParameters refuses it); Save's own check is the second line of defence.
            var contents = new ModelFile.ModelContents(TinyMlp.Layout, parameters, [], pipeline);
            Assert.True(ModelFile.Write(path, contents).IsFail);
            Assert.Equal(good, File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
