// Training issue 16's reference CNN for real on the built-in Fashion-MNIST subset: it beats the README's MLP trained the same way.
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Training;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

/// <summary>examples/FashionMnist's FashionCnn, declared again here (the example is a program, not a library).</summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial record SubsetCnn(
    [Conv2d(16, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv1,
    [Conv2d(32, 5, Padding = 2), Relu, MaxPool2d(2)] Conv2d Conv2,
    [Dense(128), Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

/// <summary>examples/FashionMnist's FashionMlp, the README's network.</summary>
[Network(Inputs = 784)]
public sealed partial record SubsetReadmeMlp(
    [Dense(256), Relu] Dense Hidden1,
    [Dense(128), Relu] Dense Hidden2,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);

public sealed class ConvolutionTrainingTests(ITestOutputHelper output)
{
    /// <summary>The example's recipe (standardised pixels, SGD momentum 0.9 at lr 0.01, batch 64) for a few epochs: the test set's accuracy.</summary>
    private static double Trained<TNet>(Dataset train, Dataset test, int epochs) where TNet : class, INetwork<TNet>
    {
        var start = TrainState.Of(TNet.Init(seed: 1), Sgd.Momentum(0.01f, 0.9f));
        var final = Enumerable.Range(1, epochs).Aggregate(start, (state, epoch) => train.Batches(64, seed: epoch).Fold(state, new TrainStep<TNet>()));
        return Evaluate.On(final.Model, test).Accuracy;
    }

    [Fact]
    public void The_reference_cnn_beats_the_mlp_on_the_built_in_subset()
    {
        var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
        var standardize = Preprocess.Standardize(Granularity.Scalar).Fit(subset.Train);
        var (train, test) = (standardize.Apply(subset.Train), standardize.Apply(subset.Test));
        const int epochs = 4;
        double mlp = Trained<SubsetReadmeMlp>(train, test, epochs), cnn = Trained<SubsetCnn>(train, test, epochs);
        output.WriteLine($"{train.Count:N0} training images, {test.Count:N0} test, {epochs} epochs, seed 1: MLP {mlp:P2}, CNN {cnn:P2}");
        Assert.True(cnn > mlp, $"the CNN reached {cnn:P2}, the MLP {mlp:P2}");
    }
}
