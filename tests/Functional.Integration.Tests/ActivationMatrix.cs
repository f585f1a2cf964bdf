// The gradient-check table: every activation × batch norm × dropout, with a varied initialisation per row.
// Each record is one row of the table GradientCheckTests runs; inits vary per row and stay suited to the activation (no FN0019).
// Hidden2 starts with a small non-zero bias: with dropout a sample can reach it with all inputs zero, putting a ReLU-family
// unit exactly on its kink at 0, where a centered difference measures half the slope — a property of the check, not a bug.
using Functional;
using Functional.Dsl;

namespace Functional.Integration.Tests;

[Network(Inputs = 6)]
public sealed partial record Sigmoid(
    [Dense(7, Init = Init.Xavier), Sigmoid] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.XavierUniform), Sigmoid] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record SigmoidDrop(
    [Dense(7, Init = Init.XavierUniform), Dropout(0.3f), Sigmoid] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.Xavier), Sigmoid] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record SigmoidBn(
    [Dense(7, Init = Init.XavierUniform), BatchNorm, Sigmoid] Dense Hidden1,
    [Dense(5, Init = Init.Xavier), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Sigmoid] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record SigmoidBnDrop(
    [Dense(7, Init = Init.Xavier), BatchNorm, Dropout(0.3f), Sigmoid] Dense Hidden1,
    [Dense(5, Init = Init.XavierUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Sigmoid] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record Tanh(
    [Dense(7, Init = Init.XavierUniform), Tanh] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.SmallRandom, InitStd = 0.3f), Tanh] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record TanhDrop(
    [Dense(7, Init = Init.SmallRandom, InitStd = 0.3f), Dropout(0.3f), Tanh] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.XavierUniform), Tanh] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record TanhBn(
    [Dense(7, Init = Init.SmallRandom, InitStd = 0.3f), BatchNorm, Tanh] Dense Hidden1,
    [Dense(5, Init = Init.XavierUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Tanh] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record TanhBnDrop(
    [Dense(7, Init = Init.XavierUniform), BatchNorm, Dropout(0.3f), Tanh] Dense Hidden1,
    [Dense(5, Init = Init.SmallRandom, InitStd = 0.3f), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Tanh] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record Relu(
    [Dense(7, Init = Init.He), Relu] Dense Hidden1,
    [Dense(5, Init = Init.HeUniform, BiasInit = 0.1f), Relu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record ReluDrop(
    [Dense(7, Init = Init.HeUniform, BiasInit = 0.1f), Dropout(0.3f), Relu] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.He), Relu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record ReluBn(
    [Dense(7, Init = Init.HeUniform, BiasInit = 0.1f), BatchNorm, Relu] Dense Hidden1,
    [Dense(5, Init = Init.He), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Relu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record ReluBnDrop(
    [Dense(7, Init = Init.He), BatchNorm, Dropout(0.3f), Relu] Dense Hidden1,
    [Dense(5, Init = Init.HeUniform, BiasInit = 0.1f), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Relu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record Leaky(
    [Dense(7, Init = Init.HeUniform), LeakyRelu(Slope = 0.1f)] Dense Hidden1,
    [Dense(5, Init = Init.He, BiasInit = -0.05f), LeakyRelu(Slope = 0.1f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record LeakyDrop(
    [Dense(7, Init = Init.He, BiasInit = -0.05f), Dropout(0.3f), LeakyRelu(Slope = 0.1f)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.HeUniform), LeakyRelu(Slope = 0.1f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record LeakyBn(
    [Dense(7, Init = Init.He, BiasInit = -0.05f), BatchNorm, LeakyRelu(Slope = 0.1f)] Dense Hidden1,
    [Dense(5, Init = Init.HeUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), LeakyRelu(Slope = 0.1f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record LeakyBnDrop(
    [Dense(7, Init = Init.HeUniform), BatchNorm, Dropout(0.3f), LeakyRelu(Slope = 0.1f)] Dense Hidden1,
    [Dense(5, Init = Init.He, BiasInit = -0.05f), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), LeakyRelu(Slope = 0.1f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PRelu(
    [Dense(7, Init = Init.He), PRelu] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.SmallRandom, InitStd = 0.2f), PRelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PReluDrop(
    [Dense(7, Init = Init.SmallRandom, InitStd = 0.2f), Dropout(0.3f), PRelu] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.He), PRelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PReluBn(
    [Dense(7, Init = Init.SmallRandom, InitStd = 0.2f), BatchNorm, PRelu] Dense Hidden1,
    [Dense(5, Init = Init.He), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), PRelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PReluBnDrop(
    [Dense(7, Init = Init.He), BatchNorm, Dropout(0.3f), PRelu] Dense Hidden1,
    [Dense(5, Init = Init.SmallRandom, InitStd = 0.2f), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), PRelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PReluShared(
    [Dense(7, Init = Init.HeUniform), PRelu(Shared = true)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.He), PRelu(Shared = true)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PReluSharedDrop(
    [Dense(7, Init = Init.He), Dropout(0.3f), PRelu(Shared = true)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.HeUniform), PRelu(Shared = true)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PReluSharedBn(
    [Dense(7, Init = Init.He), BatchNorm, PRelu(Shared = true)] Dense Hidden1,
    [Dense(5, Init = Init.HeUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), PRelu(Shared = true)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record PReluSharedBnDrop(
    [Dense(7, Init = Init.HeUniform), BatchNorm, Dropout(0.3f), PRelu(Shared = true)] Dense Hidden1,
    [Dense(5, Init = Init.He), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), PRelu(Shared = true)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record Elu(
    [Dense(7, Init = Init.He), Elu(Alpha = 0.7f)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.XavierUniform), Elu(Alpha = 0.7f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record EluDrop(
    [Dense(7, Init = Init.XavierUniform), Dropout(0.3f), Elu(Alpha = 0.7f)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.He), Elu(Alpha = 0.7f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record EluBn(
    [Dense(7, Init = Init.XavierUniform), BatchNorm, Elu(Alpha = 0.7f)] Dense Hidden1,
    [Dense(5, Init = Init.He), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Elu(Alpha = 0.7f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record EluBnDrop(
    [Dense(7, Init = Init.He), BatchNorm, Dropout(0.3f), Elu(Alpha = 0.7f)] Dense Hidden1,
    [Dense(5, Init = Init.XavierUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Elu(Alpha = 0.7f)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record Maxout(
    [Dense(7, Init = Init.HeUniform), Maxout(3)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.He), Maxout(3)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record MaxoutDrop(
    [Dense(7, Init = Init.He), Dropout(0.3f), Maxout(3)] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.HeUniform), Maxout(3)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record MaxoutBn(
    [Dense(7, Init = Init.He), BatchNorm, Maxout(3)] Dense Hidden1,
    [Dense(5, Init = Init.HeUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Maxout(3)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record MaxoutBnDrop(
    [Dense(7, Init = Init.HeUniform), BatchNorm, Dropout(0.3f), Maxout(3)] Dense Hidden1,
    [Dense(5, Init = Init.He), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Maxout(3)] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

// GELU and SiLU keep their pre-activation for the derivative: fused (the product stores z, the layer above reads it),
// staged only for dropout (fused again at p = 0), after batch norm (their own pass from u), and on the scores.
[Network(Inputs = 6)]
public sealed partial record Gelu(
    [Dense(7, Init = Init.He), Gelu] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.XavierUniform), Gelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record GeluDrop(
    [Dense(7, Init = Init.XavierUniform), Dropout(0.3f), Gelu] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.He), Gelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record GeluBn(
    [Dense(7, Init = Init.SmallRandom, InitStd = 0.3f), BatchNorm, Gelu] Dense Hidden1,
    [Dense(5, Init = Init.HeUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Gelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record GeluBnDrop(
    [Dense(7, Init = Init.He), BatchNorm, Dropout(0.3f), Gelu] Dense Hidden1,
    [Dense(5, Init = Init.SmallRandom, InitStd = 0.3f), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Gelu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record Silu(
    [Dense(7, Init = Init.HeUniform), Silu] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.SmallRandom, InitStd = 0.3f), Silu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>Swish is SiLU by Keras's name: the alias compiles to the same code.</summary>
[Network(Inputs = 6)]
public sealed partial record SiluDrop(
    [Dense(7, Init = Init.He), Dropout(0.3f), Swish] Dense Hidden1,
    [Dense(5, BiasInit = 0.02f, Init = Init.Xavier), Swish] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record SiluBn(
    [Dense(7, Init = Init.Xavier), BatchNorm, Silu] Dense Hidden1,
    [Dense(5, Init = Init.He), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Silu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

[Network(Inputs = 6)]
public sealed partial record SiluBnDrop(
    [Dense(7, Init = Init.HeUniform), BatchNorm, Dropout(0.3f), Silu] Dense Hidden1,
    [Dense(5, Init = Init.XavierUniform), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Silu] Dense Hidden2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>A kept-input activation on the scores, whose derivative the step applies from the kept z outside any product.</summary>
[Network(Inputs = 6)]
public sealed partial record GeluScores(
    [Dense(7), Silu] Dense Hidden,
    [Dense(3), Gelu, Hinge] Dense Scores);

/// <summary>Batch norm and a learned activation on the loss layer itself: the scores are staged too.</summary>
[Network(Inputs = 6)]
public sealed partial record StagedScores(
    [Dense(4), Tanh, Dropout(0.2f)] Dense Hidden,
    [Dense(3), BatchNorm, PRelu, Hinge] Dense Scores);

internal static class ActivationMatrix
{
    /// <summary>Every record above, as gradient-check cases.</summary>
    public static GradientCheckTests.ICase[] Cases { get; } =
    [
        new GradientCheckTests.Case<Sigmoid>(),
        new GradientCheckTests.Case<SigmoidDrop>(),
        new GradientCheckTests.Case<SigmoidBn>(),
        new GradientCheckTests.Case<SigmoidBnDrop>(),
        new GradientCheckTests.Case<Tanh>(),
        new GradientCheckTests.Case<TanhDrop>(),
        new GradientCheckTests.Case<TanhBn>(),
        new GradientCheckTests.Case<TanhBnDrop>(),
        new GradientCheckTests.Case<Relu>(),
        new GradientCheckTests.Case<ReluDrop>(),
        new GradientCheckTests.Case<ReluBn>(),
        new GradientCheckTests.Case<ReluBnDrop>(),
        new GradientCheckTests.Case<Leaky>(),
        new GradientCheckTests.Case<LeakyDrop>(),
        new GradientCheckTests.Case<LeakyBn>(),
        new GradientCheckTests.Case<LeakyBnDrop>(),
        new GradientCheckTests.Case<PRelu>(),
        new GradientCheckTests.Case<PReluDrop>(),
        new GradientCheckTests.Case<PReluBn>(),
        new GradientCheckTests.Case<PReluBnDrop>(),
        new GradientCheckTests.Case<PReluShared>(),
        new GradientCheckTests.Case<PReluSharedDrop>(),
        new GradientCheckTests.Case<PReluSharedBn>(),
        new GradientCheckTests.Case<PReluSharedBnDrop>(),
        new GradientCheckTests.Case<Elu>(),
        new GradientCheckTests.Case<EluDrop>(),
        new GradientCheckTests.Case<EluBn>(),
        new GradientCheckTests.Case<EluBnDrop>(),
        new GradientCheckTests.Case<Maxout>(),
        new GradientCheckTests.Case<MaxoutDrop>(),
        new GradientCheckTests.Case<MaxoutBn>(),
        new GradientCheckTests.Case<MaxoutBnDrop>(),
        new GradientCheckTests.Case<Gelu>(),
        new GradientCheckTests.Case<GeluDrop>(),
        new GradientCheckTests.Case<GeluBn>(),
        new GradientCheckTests.Case<GeluBnDrop>(),
        new GradientCheckTests.Case<Silu>(),
        new GradientCheckTests.Case<SiluDrop>(),
        new GradientCheckTests.Case<SiluBn>(),
        new GradientCheckTests.Case<SiluBnDrop>(),
        new GradientCheckTests.Case<GeluScores>(),
        new GradientCheckTests.Case<StagedScores>(),
    ];

    /// <summary>
    /// Run-time values unlike every declared one, on every layer that has them: leaky slope 0.25, ELU α 1.6, batch norm's
    /// momentum 0.3 and ε 0.01, PReLU's initial slope 0.1, and dropout p 0.45 (or 0, the fused path).
    /// </summary>
    private static Hyperparameters Trial(Hyperparameters declared, float dropout) =>
        declared.Layers.Aggregate(declared, (h, l) => h.With(l.Layer, layer => layer with
        {
            Dropout = layer.HasDropout ? dropout : 0f,
            BatchNormMomentum = layer.HasBatchNorm ? 0.3f : 0f,
            BatchNormEpsilon = layer.HasBatchNorm ? 1e-2f : 0f,
            LeakySlope = layer.Activation == ActivationKind.LeakyRelu ? 0.25f : 0f,
            EluAlpha = layer.Activation == ActivationKind.Elu ? 1.6f : 0f,
            PReluInitialSlope = layer.Activation == ActivationKind.PRelu ? 0.1f : 0f,
        }));

    private static GradientCheckTests.ICase[] Both<TNet>() where TNet : class, INetwork<TNet> =>
    [
        new GradientCheckTests.Case<TNet>(h => Trial(h, 0.45f), "trial values, p 0.45"),
        new GradientCheckTests.Case<TNet>(h => Trial(h, 0f), "trial values, p 0"),
    ];

    /// <summary>Every record above at trial values, dropout on and off.</summary>
    public static GradientCheckTests.ICase[] Trials { get; } =
    [
        .. Both<Sigmoid>(),
        .. Both<SigmoidDrop>(),
        .. Both<SigmoidBn>(),
        .. Both<SigmoidBnDrop>(),
        .. Both<Tanh>(),
        .. Both<TanhDrop>(),
        .. Both<TanhBn>(),
        .. Both<TanhBnDrop>(),
        .. Both<Relu>(),
        .. Both<ReluDrop>(),
        .. Both<ReluBn>(),
        .. Both<ReluBnDrop>(),
        .. Both<Leaky>(),
        .. Both<LeakyDrop>(),
        .. Both<LeakyBn>(),
        .. Both<LeakyBnDrop>(),
        .. Both<PRelu>(),
        .. Both<PReluDrop>(),
        .. Both<PReluBn>(),
        .. Both<PReluBnDrop>(),
        .. Both<PReluShared>(),
        .. Both<PReluSharedDrop>(),
        .. Both<PReluSharedBn>(),
        .. Both<PReluSharedBnDrop>(),
        .. Both<Elu>(),
        .. Both<EluDrop>(),
        .. Both<EluBn>(),
        .. Both<EluBnDrop>(),
        .. Both<Maxout>(),
        .. Both<MaxoutDrop>(),
        .. Both<MaxoutBn>(),
        .. Both<MaxoutBnDrop>(),
        .. Both<Gelu>(),
        .. Both<GeluDrop>(),
        .. Both<GeluBn>(),
        .. Both<GeluBnDrop>(),
        .. Both<Silu>(),
        .. Both<SiluDrop>(),
        .. Both<SiluBn>(),
        .. Both<SiluBnDrop>(),
        .. Both<GeluScores>(),
        .. Both<StagedScores>(),
    ];
}
