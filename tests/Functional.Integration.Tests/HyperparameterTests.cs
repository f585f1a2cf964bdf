// Run-time hyperparameters: a trial's values give what a declaration of those constants gives, bit for bit; bad values are refused by name; model files keep them.
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Persistence;
using Functional.Training;

namespace Functional.Integration.Tests;

/// <summary>The structure under trial, with the declaration's usual values.</summary>
[Network(Inputs = 6)]
public sealed partial record TrialNet(
    [Dense(7), BatchNorm, LeakyRelu, Dropout(0.2f)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f), Elu, Dropout(0.3f)] Dense Hidden2,
    [Dense(4), PRelu] Dense Hidden3,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>The same structure with the trial's values declared as constants.</summary>
[Network(Inputs = 6)]
public sealed partial record TrialNetDeclared(
    [Dense(7), BatchNorm(Momentum = 0.3f, Epsilon = 1e-2f), LeakyRelu(Slope = 0.25f), Dropout(0.45f)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f), Elu(Alpha = 1.6f), Dropout(0.1f)] Dense Hidden2,
    [Dense(4), PRelu] Dense Hidden3,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>The trial's values with dropout declared away: what p = 0 at run time must equal.</summary>
[Network(Inputs = 6)]
public sealed partial record TrialNetWithoutDropout(
    [Dense(7), BatchNorm(Momentum = 0.3f, Epsilon = 1e-2f), LeakyRelu(Slope = 0.25f)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f), Elu(Alpha = 1.6f)] Dense Hidden2,
    [Dense(4), PRelu] Dense Hidden3,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

public sealed class HyperparameterTests
{
    /// <summary>TrialNetDeclared's constants, set on TrialNet at run time.</summary>
    private static Hyperparameters Trial(float hidden1Dropout = 0.45f, float hidden2Dropout = 0.1f) => TrialNet.Defaults
        .With("Hidden1", l => l with { Dropout = hidden1Dropout, BatchNormMomentum = 0.3f, BatchNormEpsilon = 1e-2f, LeakySlope = 0.25f })
        .With("Hidden2", l => l with { Dropout = hidden2Dropout, EluAlpha = 1.6f });

    private static readonly Dataset Data = TestData.Random(96, 6, 3, seed: 5);

    /// <summary>Three epochs of momentum SGD at batch 16 (a fused optimizer) from seed 7, with dropout masks from seed 11.</summary>
    private static TNet Train<TNet>(TNet model) where TNet : class, INetwork<TNet>
    {
        var step = new TrainStep<TNet>().WithSeed(11).WithL2(1e-3f);
        return Enumerable.Range(1, 3).Aggregate(TrainState.Of(model, Sgd.Momentum(lr: 0.05f, mu: 0.9f)),
            (state, epoch) => Data.Batches(size: 16, seed: epoch).Fold(state, step)).Model;
    }

    private static float[] Scores<TNet>(TNet model) where TNet : class, INetwork<TNet>
    {
        var scores = new float[Data.Count * TNet.ClassCount];
        TNet.Infer(model.Parameters.Span, model.Buffers.Span, Data.Features, Data.Count, scores, TNet.CreateWorkspace(Data.Count), model.Hyperparameters);
        return scores;
    }

    [Fact]
    public void Defaults_are_the_declared_values()
    {
        var h = TrialNet.Defaults;
        Assert.Equal(0.2f, h["Hidden1"].Dropout);
        Assert.Equal(0.1f, h["Hidden1"].BatchNormMomentum);
        Assert.Equal(1e-5f, h["Hidden1"].BatchNormEpsilon);
        Assert.Equal(0.01f, h["Hidden1"].LeakySlope);
        Assert.Equal(1f, h["Hidden2"].EluAlpha);
        Assert.Equal(0.02f, h["Hidden2"].BiasInit);
        Assert.Equal(0.25f, h["Hidden3"].PReluInitialSlope);
        Assert.False(h["Scores"].HasDropout);
        Assert.Equal(TrialNet.Defaults, TrialNet.Init(1).Hyperparameters);
        Assert.Equal(TrialNetDeclared.Defaults.Layers.Select(l => l.ToString()), Trial().Layers.Select(l => l.ToString()));
    }

    [Fact]
    public void A_trial_trains_and_infers_bit_for_bit_as_the_declaration_of_its_values()
    {
        var trial = Train(TrialNet.Init(7, hyperparameters: Trial()));
        var declared = Train(TrialNetDeclared.Init(7));
        Assert.Equal(declared.Parameters.ToArray(), trial.Parameters.ToArray());
        Assert.Equal(declared.Buffers.ToArray(), trial.Buffers.ToArray());
        Assert.Equal(Scores(declared), Scores(trial));
        Assert.Equal(Trial(), trial.Hyperparameters); // the fold hands the model's values on to the model it returns
    }

    [Fact]
    public void Dropout_zero_at_run_time_equals_a_declaration_without_dropout_bit_for_bit()
    {
        var off = Train(TrialNet.Init(7, hyperparameters: Trial(0f, 0f)));
        var none = Train(TrialNetWithoutDropout.Init(7));
        Assert.Equal(none.Parameters.ToArray(), off.Parameters.ToArray());
        Assert.Equal(none.Buffers.ToArray(), off.Buffers.ToArray());
        Assert.Equal(Scores(none), Scores(off));
    }

    [Fact]
    public void Inference_reads_the_models_own_values()
    {
        var model = TrialNet.Init(3);
        var changed = model with { Hyperparameters = TrialNet.Defaults.With("Hidden1", l => l with { LeakySlope = 0.5f, BatchNormEpsilon = 0.5f }) };
        Assert.NotEqual(Scores(model), Scores(changed));
        // Dropout is training-only: changing p leaves inference as it was.
        Assert.Equal(Scores(model), Scores(model with { Hyperparameters = TrialNet.Defaults.WithDropout(0.6f) }));
    }

    [Fact]
    public void Initialisation_reads_bias_init_std_and_prelu_slope()
    {
        var h = TrialNet.Defaults.With("Hidden2", l => l with { BiasInit = -0.5f }).With("Hidden3", l => l with { PReluInitialSlope = 0.1f });
        var model = TrialNet.Init(1, hyperparameters: h);
        Assert.All(model.Hidden2.Bias.ToArray(), b => Assert.Equal(-0.5f, b));
        var slope = TrialNet.Layout.Layers[2].Dense;
        Assert.All(model.Parameters.Span.Slice(slope.SlopeOffset, slope.SlopeCount).ToArray(), s => Assert.Equal(0.1f, s));
        var small = TrialNet.Init(1, Init.SmallRandom, hyperparameters: h);
        var smaller = TrialNet.Init(1, Init.SmallRandom, smallStd: 0.001f, hyperparameters: h);
        Assert.NotEqual(small.Parameters.ToArray(), smaller.Parameters.ToArray());
    }

    [Theory]
    [InlineData("Hidden1", "dropout", 1f)]
    [InlineData("Hidden1", "dropout", -0.1f)]
    [InlineData("Hidden1", "batchNormMomentum", 0f)]
    [InlineData("Hidden1", "batchNormMomentum", 1.5f)]
    [InlineData("Hidden1", "batchNormEpsilon", 0f)]
    [InlineData("Hidden1", "batchNormEpsilon", float.PositiveInfinity)]
    [InlineData("Hidden1", "leakySlope", float.NaN)]
    [InlineData("Hidden1", "leakySlope", 1f)]
    [InlineData("Hidden2", "eluAlpha", 0f)]
    [InlineData("Hidden2", "biasInit", float.NaN)]
    [InlineData("Hidden2", "initStd", 0f)]
    [InlineData("Hidden3", "preluInitialSlope", float.PositiveInfinity)]
    public void Out_of_range_values_are_refused_naming_layer_value_and_range(string layer, string name, float value)
    {
        // WithValue (what a model file is read with) sets the value by `with`, so this runs each init accessor's check.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TrialNet.Defaults.With(layer, l => l.WithValue(name, value)));
        Assert.Contains(layer, e.Message);
        Assert.Contains(name, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("must be", e.Message);
    }

    [Fact]
    public void Values_a_layer_does_not_have_are_structure_and_refused()
    {
        var noDropout = Assert.Throws<ArgumentException>(() => TrialNet.Defaults.With("Scores", l => l with { Dropout = 0.5f }));
        Assert.Contains("Scores has no dropout", noDropout.Message);
        var noSlope = Assert.Throws<ArgumentException>(() => TrialNet.Defaults.With("Hidden2", l => l with { LeakySlope = 0.1f }));
        Assert.Contains("Hidden2 has no leaky ReLU", noSlope.Message);
        var unknown = Assert.Throws<ArgumentException>(() => TrialNet.Defaults.With("Hidden9", l => l));
        Assert.Contains("Hidden1, Hidden2, Hidden3, Scores", unknown.Message);
        var swapped = Assert.Throws<ArgumentException>(() => TrialNet.Defaults.With("Hidden1", _ => TrialNet.Defaults["Hidden2"]));
        Assert.Contains("Hidden1", swapped.Message);
        var foreign = Assert.Throws<ArgumentException>(() => TrialNet.Init(1) with { Hyperparameters = TrialNetDeclared.Defaults });
        Assert.Contains("TrialNetDeclared's, not TrialNet's", foreign.Message);
        Assert.Throws<InvalidOperationException>(() => TrialNetWithoutDropout.Defaults.WithDropout(0.1f));
    }

    [Fact]
    public void Another_networks_values_are_refused_by_the_generated_step_and_inference()
    {
        var model = TrialNet.Init(1);
        var gradient = new float[TrialNet.ParameterCount];
        var options = new StepOptions(Hyperparameters: TrialNetDeclared.Defaults);
        Assert.Throws<ArgumentException>(() => TrialNet.ComputeGradient(model.Parameters.Span, model.Buffers.ToArray(), TestData.All(Data), options, gradient, new TrialNet.Workspace(Data.Count)));
        Assert.Throws<ArgumentException>(() => TrialNet.Infer(model.Parameters.Span, model.Buffers.Span, Data.Features, Data.Count, new float[Data.Count * 3], new TrialNet.Workspace(Data.Count), TrialNetDeclared.Defaults));
    }

    [Fact]
    public void A_model_file_keeps_the_values_and_a_loaded_model_infers_as_the_saved_one()
    {
        var trained = Train(TrialNet.Init(7, hyperparameters: Trial()));
        string path = Path.Combine(Path.GetTempPath(), $"hyper-{Guid.NewGuid():N}.fnm");
        try
        {
            ModelFile.Save(path, trained, Preprocess.None.Fit(Data)).ThrowIfFail();
            var (loaded, _) = ModelFile.Load<TrialNet>(path).ThrowIfFail();
            Assert.Equal(Trial(), loaded.Hyperparameters);
            Assert.Equal(Scores(trained), Scores(loaded));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Gradient_checks_hold_at_trial_values_with_dropout_on_and_off()
    {
        foreach (var h in new[] { Trial(), Trial(0f, 0f), Trial(0f, 0.6f) })
        {
            var report = new GradientCheckTests.Case<TrialNet>(_ => h, "trial").Check(l2: 0.1f, batch: 9, seed: 3);
            Assert.True(report.MaxRelativeError < 1e-4, $"{h}: max relative error {report.MaxRelativeError:E2} at {report.WorstParameter}");
            Assert.True(report.LossDifference < 1e-5, $"{h}: fast loss differs from the reference by {report.LossDifference:E2}");
        }
    }
}
