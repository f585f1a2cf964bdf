// The optimizers on generated networks: Adam trains the README network, masks find a generated layout's tensors, TrainState reads the rate.
using FashionExample;
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

public sealed class OptimizerTrainingTests(ITestOutputHelper output)
{
    /// <summary>
    /// The README's 784-256-128-10 network with <c>Optimizer.Adam(1e-3f)</c>, one epoch of batches of 32 over the
    /// built-in 4,000-image subset. Chance is 10 %; one epoch reached 79.5 % when this was written (78.5 % and 81.4 %
    /// from seeds 2 and 3), and a rate a hundred times too small 38.8 %: 74 % leaves room for harmless changes and
    /// none for an optimizer that barely learns.
    /// </summary>
    [Fact]
    public void Adam_trains_the_README_network_far_above_chance_in_one_epoch()
    {
        var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
        var standardize = Preprocess.Standardize(Granularity.Scalar).Fit(subset.Train);
        var (train, test) = (standardize.Apply(subset.Train), standardize.Apply(subset.Test));
        var start = TrainState.Of(FashionMlp.Init(seed: 1), Optimizer.Adam(1e-3f));

        var trained = train.Batches(32, seed: 1).Fold(start, FashionMlp.Step);
        var accuracy = Evaluate.On(trained.Model, test).Accuracy;

        output.WriteLine($"{trained.StepCount} steps; test accuracy {accuracy:P1}");
        Assert.True(accuracy > 0.74, $"test accuracy {accuracy:P1} after one epoch of Adam");
        long steps = (train.Count + 31) / 32;
        Assert.Equal(steps, trained.StepCount);
        Assert.Equal(steps, trained.OptimizerState.StepCount);
        Assert.Equal(1e-3f, start.LearningRate);
        Assert.Equal(1e-3f, trained.LearningRate);
    }

    /// <summary>TrainState.LearningRate is the schedule's value at the number of steps taken, after a fold as before it.</summary>
    [Fact]
    public void TrainState_reads_the_scheduled_rate_at_its_step_count()
    {
        var schedule = Schedule.Cosine(1e-2f, 40).WithWarmup(5);
        var start = TrainState.Of(TinyMlp.Init(seed: 2), Optimizer.RmsProp().WithSchedule(schedule));
        Assert.Equal(schedule.At(0), start.LearningRate);

        var trained = TestData.Random(120, 6, 3, seed: 4).Batches(10, seed: 1).Fold(start, TinyMlp.Step);

        Assert.Equal(12, trained.StepCount);
        Assert.Equal(schedule.At(12), trained.LearningRate);
    }

    /// <summary>
    /// A weight-decay mask on the generator's own layout of a network with every tensor kind (W, b, batch norm's γ
    /// and β, PReLU slopes): with a zero gradient, exactly the parameters of the masked kinds move, and they are the
    /// generated layers' views of those kinds, in order.
    /// </summary>
    [Theory]
    [InlineData(TensorKinds.Weights)]
    [InlineData(TensorKinds.Biases)]
    [InlineData(TensorKinds.BatchNormScale | TensorKinds.BatchNormShift)]
    [InlineData(TensorKinds.Slopes)]
    [InlineData(TensorKinds.All)]
    public void A_decay_mask_decays_exactly_the_generated_layers_tensors_of_its_kinds(TensorKinds mask)
    {
        var random = new SeededRandom(6);
        // Every parameter non-zero, so a decayed one always moves.
        var parameters = Enumerable.Range(0, PReluBn.ParameterCount).Select(_ => (float)(1 + random.NextDouble())).ToArray();
        var model = PReluBn.FromParameters((float[])parameters.Clone());
        var decay = Optimizer.Chain(Optimizer.WeightDecay(0.5f, mask), new ScaleByLearningRate(0.1f));

        var (updates, _) = decay.Update(new float[parameters.Length], decay.Init(PReluBn.Layout), parameters);

        var moved = parameters.Where((_, i) => updates[i] != 0).ToArray();
        var expected = new[] { model.Hidden1, model.Hidden2, model.Scores }.SelectMany(layer => Kinds(layer, mask)).ToArray();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, moved);
        for (int i = 0; i < parameters.Length; i++)
            if (updates[i] != 0) Assert.Equal(parameters[i] * 0.5f * -0.1f, updates[i]);
    }

    private static IEnumerable<float> Kinds(Dense layer, TensorKinds mask)
    {
        var parts = new List<float>();
        if (mask.HasFlag(TensorKinds.Weights)) parts.AddRange(layer.Weights.ToArray());
        if (mask.HasFlag(TensorKinds.Biases)) parts.AddRange(layer.Bias.ToArray());
        if (mask.HasFlag(TensorKinds.BatchNormScale)) parts.AddRange(layer.Gamma.ToArray());
        if (mask.HasFlag(TensorKinds.BatchNormShift)) parts.AddRange(layer.Beta.ToArray());
        if (mask.HasFlag(TensorKinds.Slopes)) parts.AddRange(layer.Slope.ToArray());
        return parts;
    }
}
