// SGD and SGD with momentum: pure updates against hand-computed steps, in-place agreement, purity, and clear errors.
using Functional.Optimizers;

namespace Functional.Tests.Optimizers;

public sealed class SgdTests
{
    /// <summary>
    /// One row per optimizer: how to make it, and the updates it should give over a sequence of gradients, written
    /// out from the rule itself (in double) rather than from the implementation.
    /// </summary>
    public sealed record Case(string Name, Func<Optimizer> Make, Func<float[][], double[][]> ExpectedUpdates, Func<float[][], double[]?> ExpectedVelocity)
    {
        public override string ToString() => Name;
    }

    private const float Lr = 0.1f, Mu = 0.9f;

    private static readonly Dictionary<string, Case> cases = new()
    {
        ["plain"] = new("plain", () => Sgd.Plain(Lr),
            // u_t = −lr·g_t
            gs => [.. gs.Select(g => g.Select(x => -(double)Lr * x).ToArray())],
            _ => null),
        ["momentum"] = new("momentum", () => Sgd.Momentum(Lr, Mu),
            // v_t = μ·v_{t−1} + g_t, v_0 = 0; u_t = −lr·v_t
            gs => [.. Velocities(gs).Select(v => v.Select(x => -(double)Lr * x).ToArray())],
            gs => Velocities(gs)[^1]),
    };

    private static double[][] Velocities(float[][] gradients)
    {
        var v = new double[gradients[0].Length];
        var all = new List<double[]>();
        foreach (var g in gradients)
        {
            for (int i = 0; i < v.Length; i++) v[i] = Mu * v[i] + g[i];
            all.Add((double[])v.Clone());
        }
        return [.. all];
    }

    public static TheoryData<string> Optimizers() => [.. cases.Keys];

    /// <summary>Three gradients with mixed signs and zeros, for five parameters.</summary>
    private static readonly float[][] Gradients =
    [
        [1f, -2f, 0.5f, 0f, 4f],
        [0.25f, 1f, -0.5f, 0f, -4f],
        [-1f, 3f, 0f, 2f, 1f],
    ];

    private static readonly float[] StartParameters = [0.5f, -1f, 2f, 0f, 10f];

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Update_gives_the_hand_computed_updates_over_three_steps(string name)
    {
        var c = cases[name];
        var optimizer = c.Make();
        var state = optimizer.Init(StartParameters.Length);
        var parameters = (float[])StartParameters.Clone();
        var expected = c.ExpectedUpdates(Gradients);

        for (int step = 0; step < Gradients.Length; step++)
        {
            (var updates, state) = optimizer.Update(Gradients[step], state, parameters);
            Assert.Equal(parameters.Length, updates.Length);
            for (int i = 0; i < updates.Length; i++)
                Assert.True(Math.Abs(updates[i] - expected[step][i]) <= 1e-6 * (1 + Math.Abs(expected[step][i])),
                            $"{name}, step {step + 1}, parameter {i}: update {updates[i]}, expected {expected[step][i]}");
            for (int i = 0; i < parameters.Length; i++) parameters[i] += updates[i];
        }

        Assert.Equal(StartParameters.Length, state.ParameterCount);
        var velocity = c.ExpectedVelocity(Gradients);
        if (velocity is null)
            Assert.IsType<StatelessState>(state);
        else
        {
            var v = Assert.IsType<VelocityState>(state).Velocity.ToArray();
            for (int i = 0; i < v.Length; i++)
                Assert.True(Math.Abs(v[i] - velocity[i]) <= 1e-6 * (1 + Math.Abs(velocity[i])), $"{name}: velocity[{i}] = {v[i]}, expected {velocity[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ApplyInPlace_equals_parameters_plus_Updates_bit_for_bit(string name)
    {
        var optimizer = cases[name].Make();
        const int count = 37; // past a vector width, with a tail
        var pure = Fill(count, 1);
        var inPlace = (float[])pure.Clone();
        var pureState = optimizer.Init(count);
        var ownedState = optimizer.Init(count);

        for (int step = 0; step < 6; step++)
        {
            var gradient = Fill(count, 100 + step);
            (var updates, pureState) = optimizer.Update(gradient, pureState, pure);
            for (int i = 0; i < count; i++) pure[i] += updates[i];
            optimizer.ApplyInPlace(inPlace, gradient, ownedState);

            for (int i = 0; i < count; i++)
                Assert.True(BitConverter.SingleToInt32Bits(pure[i]) == BitConverter.SingleToInt32Bits(inPlace[i]),
                            $"{name}, step {step + 1}, parameter {i}: in place {inPlace[i]:R} vs pure {pure[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Update_mutates_none_of_its_inputs(string name)
    {
        var optimizer = cases[name].Make();
        const int count = 19;
        var state = optimizer.Init(count);
        var parameters = Fill(count, 2);
        // Two steps first, so a momentum state holds a non-zero velocity worth corrupting.
        for (int step = 0; step < 2; step++) (_, state) = optimizer.Update(Fill(count, 10 + step), state, parameters);

        var gradient = Fill(count, 3);
        float[] gradientCopy = (float[])gradient.Clone(), parametersCopy = (float[])parameters.Clone();
        float[]? velocityCopy = (state as VelocityState)?.Velocity.ToArray();

        var (_, next) = optimizer.Update(gradient, state, parameters);

        Assert.Equal(gradientCopy, gradient);
        Assert.Equal(parametersCopy, parameters);
        if (velocityCopy is not null)
        {
            Assert.Equal(velocityCopy, ((VelocityState)state).Velocity.ToArray());
            Assert.NotEqual(velocityCopy, ((VelocityState)next).Velocity.ToArray());
        }
        // Calling again with the same inputs gives the same answer: nothing hidden was advanced.
        var (againUpdates, _) = optimizer.Update(gradient, state, parameters);
        Assert.Equal(optimizer.Update(gradient, state, parameters).Updates, againUpdates);
    }

    public static TheoryData<string, float, float> InvalidHyperparameters() => new()
    {
        { "learningRate", 0f, 0.9f },
        { "learningRate", -0.1f, 0.9f },
        { "learningRate", float.NaN, 0.9f },
        { "learningRate", float.PositiveInfinity, 0.9f },
        { "learningRate", float.NegativeInfinity, 0.9f },
        { "momentum", 0.1f, 1f },
        { "momentum", 0.1f, 1.5f },
        { "momentum", 0.1f, -0.01f },
        { "momentum", 0.1f, float.NaN },
        { "momentum", 0.1f, float.PositiveInfinity },
    };

    [Theory]
    [MemberData(nameof(InvalidHyperparameters))]
    public void Invalid_hyperparameters_throw_naming_the_parameter(string parameter, float lr, float mu)
    {
        var momentum = Assert.Throws<ArgumentOutOfRangeException>(() => Sgd.Momentum(lr, mu));
        Assert.Equal(parameter, momentum.ParamName);
        Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(() => new MomentumSgd(lr, mu)).ParamName);
        if (parameter == "learningRate")
        {
            Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(() => Sgd.Plain(lr)).ParamName);
            Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(() => new VanillaSgd(lr)).ParamName);
        }
    }

    [Theory]
    [InlineData(1e-6f, 0f)]
    [InlineData(100f, 0.999f)]
    public void Boundary_hyperparameters_are_accepted(float lr, float mu)
    {
        Assert.Equal(lr, Sgd.Plain(lr).LearningRate);
        var m = Sgd.Momentum(lr, mu);
        Assert.Equal((lr, mu), (m.LearningRate, m.Momentum));
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_state_of_the_wrong_size_is_a_clear_ArgumentException(string name)
    {
        var optimizer = cases[name].Make();
        var state = optimizer.Init(3);
        var gradient = new float[4];

        var pure = Assert.Throws<ArgumentException>(() => optimizer.Update(gradient, state, new float[4]));
        var inPlace = Assert.Throws<ArgumentException>(() => optimizer.ApplyInPlace(new float[4], gradient, state));

        foreach (var e in new[] { pure, inPlace })
        {
            Assert.Equal("state", e.ParamName);
            Assert.Contains("3", e.Message);
            Assert.Contains("4", e.Message);
        }
    }

    public static TheoryData<string, string> WrongKinds() => new()
    {
        { "plain", "momentum" },
        { "momentum", "plain" },
    };

    [Theory]
    [MemberData(nameof(WrongKinds))]
    public void A_state_of_the_wrong_kind_is_a_clear_ArgumentException(string name, string stateFrom)
    {
        var optimizer = cases[name].Make();
        var foreign = cases[stateFrom].Make().Init(4);
        var gradient = new float[4];
        string expectedKind = optimizer.Init(4).GetType().Name;

        var pure = Assert.Throws<ArgumentException>(() => optimizer.Update(gradient, foreign, new float[4]));
        var inPlace = Assert.Throws<ArgumentException>(() => optimizer.ApplyInPlace(new float[4], gradient, foreign));

        foreach (var e in new[] { pure, inPlace })
        {
            Assert.Equal("state", e.ParamName);
            Assert.Contains(expectedKind, e.Message);
            Assert.Contains(foreign.GetType().Name, e.Message);
        }
    }

    [Fact]
    public void Init_gives_a_zero_velocity_of_the_right_size()
    {
        var state = Assert.IsType<VelocityState>(Sgd.Momentum(0.1f).Init(6));
        Assert.Equal(6, state.ParameterCount);
        Assert.All(state.Velocity.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(0.9f, Sgd.Momentum(0.1f).Momentum);
        Assert.Equal(6, Sgd.Plain(0.1f).Init(6).ParameterCount);
    }

    private static float[] Fill(int count, long seed)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(2 * random.NextDouble() - 1);
        return values;
    }
}

/// <summary>Hyperparameters stay valid however they are set: a schedule's <c>with</c> is checked like a constructor.</summary>
public sealed class HyperparameterTests
{
    [Fact]
    public void With_expressions_are_validated_like_constructors()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Sgd.Plain(0.1f) with { LearningRate = float.NaN });
        Assert.Equal("learningRate", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgd.Momentum(0.1f) with { LearningRate = -1f });
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => Sgd.Momentum(0.1f) with { Momentum = 1.5f }).ParamName);
        Assert.Equal(0.05f, (Sgd.Momentum(0.1f) with { LearningRate = 0.05f }).LearningRate);
    }

    [Fact]
    public void Mismatched_gradient_and_parameters_are_refused_with_both_lengths()
    {
        var sgd = Sgd.Plain(0.1f);
        var error = Assert.Throws<ArgumentException>(() => sgd.Update(new float[2], sgd.Init(2), new float[3]));
        Assert.Contains("2", error.Message);
        Assert.Contains("3", error.Message);
        Assert.Throws<ArgumentException>(() => sgd.ApplyInPlace(new float[3], new float[2], sgd.Init(2)));
    }
}
