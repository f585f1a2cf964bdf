// Hyperparameters stay values in range: every constructor, alias and `with` refuses a bad one, naming it.
using Functional.Optimizers;

namespace Functional.Tests.Optimizers;

public sealed class HyperparameterTests
{
    private static readonly float[] NotPositive = [0f, -0.1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
    private static readonly float[] Negative = [-1e-3f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
    private static readonly float[] NotFraction = [1f, 1.5f, -0.01f, float.NaN, float.PositiveInfinity];

    /// <summary>Each way of setting a hyperparameter, by the name its error must carry, with the bad values it must refuse.</summary>
    private static readonly (string Name, string Where, float[] Bad, Func<float, object> Set)[] Setters =
    [
        ("learningRate", "Sgd.Plain", NotPositive, x => Sgd.Plain(x)),
        ("learningRate", "Sgd.Momentum", NotPositive, x => Sgd.Momentum(x)),
        ("learningRate", "Sgd.Nesterov", NotPositive, x => Sgd.Nesterov(x)),
        ("learningRate", "Optimizer.Adam", NotPositive, x => Optimizer.Adam(x)),
        ("learningRate", "Optimizer.AdamW", NotPositive, x => Optimizer.AdamW(x)),
        ("learningRate", "Optimizer.AdaGrad", NotPositive, x => Optimizer.AdaGrad(x)),
        ("learningRate", "Optimizer.AdaGrad with lr_decay", NotPositive, x => Optimizer.AdaGrad(x, lrDecay: 0.1f)),
        ("learningRate", "Optimizer.RmsProp", NotPositive, x => Optimizer.RmsProp(x)),
        ("learningRate", "new ScaleByLearningRate", NotPositive, x => new ScaleByLearningRate(x)),
        ("learningRate", "ScaleByLearningRate with a schedule", NotPositive, x => new ScaleByLearningRate(0.1f) with { Schedule = Schedule.Constant(x) }),
        ("learningRate", "WithLearningRate", NotPositive, x => Optimizer.Adam().WithLearningRate(x)),
        ("learningRate", "Schedule.Step", NotPositive, x => Schedule.Step(x, 10)),
        ("learningRate", "Schedule.Exponential", NotPositive, x => Schedule.Exponential(x, 0.9f)),
        ("learningRate", "Schedule.Cosine", NotPositive, x => Schedule.Cosine(x, 10)),
        ("learningRate", "Schedule.InverseTime", NotPositive, x => Schedule.InverseTime(x, 0.1f)),
        ("maxLearningRate", "Schedule.OneCycle", NotPositive, x => Schedule.OneCycle(x, 100)),
        ("momentum", "Sgd.Momentum", NotFraction, x => Sgd.Momentum(0.1f, x)),
        ("momentum", "Sgd.Nesterov", NotFraction, x => Sgd.Nesterov(0.1f, x)),
        ("momentum", "Optimizer.RmsProp", NotFraction, x => Optimizer.RmsProp(momentum: x)),
        ("momentum", "new Trace", NotFraction, x => new Trace(x)),
        ("momentum", "Trace with", NotFraction, x => new Trace(0.9f) with { Decay = x }),
        ("beta1", "Optimizer.Adam", NotFraction, x => Optimizer.Adam(beta1: x)),
        ("beta1", "Optimizer.AdamW", NotFraction, x => Optimizer.AdamW(beta1: x)),
        ("beta1", "ScaleByAdam with", NotFraction, x => new ScaleByAdam() with { Beta1 = x }),
        ("beta2", "Optimizer.Adam", NotFraction, x => Optimizer.Adam(beta2: x)),
        ("beta2", "new ScaleByAdam", NotFraction, x => new ScaleByAdam(beta2: x)),
        ("beta2", "ScaleByAdam with", NotFraction, x => new ScaleByAdam() with { Beta2 = x }),
        ("alpha", "Optimizer.RmsProp", NotFraction, x => Optimizer.RmsProp(alpha: x)),
        ("alpha", "ScaleByRms with", NotFraction, x => new ScaleByRms() with { Alpha = x }),
        ("eps", "Optimizer.Adam", NotPositive, x => Optimizer.Adam(eps: x)),
        ("eps", "Optimizer.AdamW", NotPositive, x => Optimizer.AdamW(eps: x)),
        ("eps", "Optimizer.AdaGrad", NotPositive, x => Optimizer.AdaGrad(eps: x)),
        ("eps", "Optimizer.RmsProp", NotPositive, x => Optimizer.RmsProp(eps: x)),
        ("eps", "ScaleByAdam with", NotPositive, x => new ScaleByAdam() with { Eps = x }),
        ("eps", "ScaleByAdaGrad with", NotPositive, x => new ScaleByAdaGrad() with { Eps = x }),
        ("eps", "ScaleByRms with", NotPositive, x => new ScaleByRms() with { Eps = x }),
        ("weightDecay", "Sgd.Plain", Negative, x => Sgd.Plain(0.1f, x)),
        ("weightDecay", "Sgd.Momentum", Negative, x => Sgd.Momentum(0.1f, weightDecay: x)),
        ("weightDecay", "Optimizer.Adam", Negative, x => Optimizer.Adam(weightDecay: x)),
        ("weightDecay", "Optimizer.AdamW", Negative, x => Optimizer.AdamW(weightDecay: x)),
        ("weightDecay", "Optimizer.AdaGrad", Negative, x => Optimizer.AdaGrad(weightDecay: x)),
        ("weightDecay", "Optimizer.RmsProp", Negative, x => Optimizer.RmsProp(weightDecay: x)),
        ("weightDecay", "Optimizer.WeightDecay", Negative, x => Optimizer.WeightDecay(x)!),
        ("weightDecay", "new AddDecayedWeights", Negative, x => new AddDecayedWeights(x)),
        ("weightDecay", "AddDecayedWeights with", Negative, x => new AddDecayedWeights(0.1f) with { Rate = x }),
        ("initialAccumulator", "Optimizer.AdaGrad", Negative, x => Optimizer.AdaGrad(initialAccumulator: x)),
        ("initialAccumulator", "ScaleByAdaGrad with", Negative, x => new ScaleByAdaGrad() with { InitialAccumulator = x }),
        ("lrDecay", "Optimizer.AdaGrad", Negative, x => Optimizer.AdaGrad(lrDecay: x)),
        ("lrDecay", "Schedule.InverseTime", Negative, x => Schedule.InverseTime(0.1f, x)),
        ("maxNorm", "new ClipByGlobalNorm", NotPositive, x => new ClipByGlobalNorm(x)),
        ("maxNorm", "ClipByGlobalNorm with", NotPositive, x => new ClipByGlobalNorm(1f) with { MaxNorm = x }),
        ("factor", "new ReduceOnPlateau", [0f, 1f, -0.5f, float.NaN], x => new ReduceOnPlateau(factor: x)),
        ("factor", "ReduceOnPlateau with", [0f, 1f, 2f, float.NaN], x => new ReduceOnPlateau() with { Factor = x }),
        ("threshold", "ReduceOnPlateau with", NotFraction, x => new ReduceOnPlateau() with { Threshold = x }),
        ("minimumScale", "ReduceOnPlateau with", [-0.1f, 1.5f, float.NaN], x => new ReduceOnPlateau() with { MinimumScale = x }),
        ("gamma", "Schedule.Step", [0f, 1.5f, -0.5f, float.NaN], x => Schedule.Step(0.1f, 10, x)),
        ("gamma", "Schedule.Exponential", [0f, 1.5f, float.NaN, float.PositiveInfinity], x => Schedule.Exponential(0.1f, x)),
        ("minimum", "Schedule.Cosine", [-0.1f, float.NaN, float.PositiveInfinity, 0.2f], x => Schedule.Cosine(0.1f, 10, x)),
        ("pctStart", "Schedule.OneCycle", [0f, 1f, float.NaN], x => Schedule.OneCycle(0.1f, 100, pctStart: x)),
        ("divFactor", "Schedule.OneCycle", NotPositive, x => Schedule.OneCycle(0.1f, 100, divFactor: x)),
        ("finalDivFactor", "Schedule.OneCycle", NotPositive, x => Schedule.OneCycle(0.1f, 100, finalDivFactor: x)),
    ];

    public static TheoryData<string, string, float> Refusals()
    {
        var data = new TheoryData<string, string, float>();
        foreach (var (name, where, bad, _) in Setters)
            foreach (float value in bad) data.Add(name, where, value);
        return data;
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_value_out_of_range_is_refused_naming_the_hyperparameter(string name, string where, float value)
    {
        var set = Setters.Single(s => s.Name == name && s.Where == where).Set;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => set(value));
        Assert.Equal(name, error.ParamName);
    }

    /// <summary>Counts and step lengths, which are whole numbers: refused below their least value, naming them.</summary>
    public static TheoryData<string, long> CountRefusals() => new()
    {
        { "patience", -1 }, { "cooldown", -1 }, { "every", 0 }, { "steps", 0 }, { "warmup", -1 }, { "oneCycleSteps", 3 },
    };

    [Theory]
    [MemberData(nameof(CountRefusals))]
    public void A_count_out_of_range_is_refused_naming_it(string name, long value)
    {
        Action set = name switch
        {
            "patience" => () => _ = new ReduceOnPlateau() with { Patience = (int)value },
            "cooldown" => () => _ = new ReduceOnPlateau(cooldown: (int)value),
            "every" => () => Schedule.Step(0.1f, value),
            "steps" => () => Schedule.Cosine(0.1f, value),
            "warmup" => () => Schedule.Constant(0.1f).WithWarmup(value),
            // Three steps at 30 % leave no room to rise and fall (PyTorch's first phase would end before step 0).
            _ => () => Schedule.OneCycle(0.1f, value),
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(set);
        Assert.Equal(name == "oneCycleSteps" ? "steps" : name, error.ParamName);
    }

    [Fact]
    public void A_mask_that_is_not_a_combination_of_tensor_kinds_is_refused()
    {
        Assert.Equal("mask", Assert.Throws<ArgumentOutOfRangeException>(() => new AddDecayedWeights(0.1f, (TensorKinds)64)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentOutOfRangeException>(() => new AddDecayedWeights(0.1f) with { Mask = (TensorKinds)(-1) }).ParamName);
        Assert.Throws<ArgumentNullException>(() => new ScaleByLearningRate(0.1f) with { Schedule = null! });
    }

    /// <summary>The edges of each range are accepted and kept: μ, β and α of 0, a tiny rate, γ of 1, a floor equal to the start, no decay.</summary>
    [Fact]
    public void Values_at_the_edges_of_their_ranges_are_accepted_and_kept()
    {
        var trace = Assert.IsType<Trace>(Assert.IsType<Chain>(Sgd.Momentum(1e-30f, 0f)).Links[0]);
        Assert.Equal(0f, trace.Decay);
        Assert.Equal(0.5f, (trace with { Decay = 0.5f }).Decay);
        var adam = new ScaleByAdam(0f, 0f, float.Epsilon);
        Assert.Equal((0f, 0f, float.Epsilon), (adam.Beta1, adam.Beta2, adam.Eps));
        Assert.Equal(0f, new ScaleByRms(alpha: 0f).Alpha);
        Assert.Equal(0.1f, Schedule.Step(0.1f, 1, gamma: 1f).At(100));
        Assert.Equal(0.1f, Schedule.Cosine(0.1f, 10, minimum: 0.1f).At(5));
        Assert.Null(Optimizer.WeightDecay(0f));
        // A zero weight decay leaves the chain without a decay link, as PyTorch's weight_decay=0 skips the add.
        Assert.Equal(Sgd.Plain(0.1f).Structure, Sgd.Plain(0.1f, weightDecay: 0f).Structure);
        var plateau = new ReduceOnPlateau(factor: 0.5f, patience: 0, threshold: 0f, cooldown: 0, minimumScale: 1f);
        Assert.Equal((0.5f, 0, 0f, 0, 1f), (plateau.Factor, plateau.Patience, plateau.Threshold, plateau.Cooldown, plateau.MinimumScale));
    }
}
