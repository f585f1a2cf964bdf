// Convolutional networks declared for the integration tests, and their gradient checks: every kind of convolution layer the generator emits.
using Functional;
using Functional.Dsl;
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

/// <summary>The reference CNN in miniature: two convolutions with ReLU and 2×2 max pooling, then dense layers (8×8 → 3×4×4 → 4×2×2).</summary>
[Network(Channels = 1, Height = 8, Width = 8)]
public sealed partial record CnnMaxPool(
    [Conv2d(3, 3, Padding = 1), Relu, MaxPool2d(2)] Conv2d Conv1,
    [Conv2d(4, 3, Padding = 1), Relu, MaxPool2d(2)] Conv2d Conv2,
    [Dense(5), Relu] Dense Hidden,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>
/// Three channels in; stride 2 with padding 0 (linear, fused), padding 2 (tanh, fused: its derivative rides in the next
/// convolution's input gradient), padding 1 with ELU and overlapping-free 3×3 average pooling at stride 2; the hinge loss.
/// </summary>
[Network(Channels = 3, Height = 9, Width = 9, Inputs = 243)]
public sealed partial record CnnStridePadding(
    [Conv2d(4, 3, Stride = 2)] Conv2d Down,
    [Conv2d(3, 2, Padding = 2), Tanh] Conv2d Grow,
    [Conv2d(2, 3, Padding = 1), Elu, AvgPool2d(3, Stride = 2)] Conv2d Pool,
    [Dense(4), Hinge] Dense Scores);

/// <summary>Dropout after a convolution without pooling (ReLU, kept output), and after GELU (kept z) and max pooling; dropout on a dense layer after them.</summary>
[Network(Channels = 1, Height = 6, Width = 6)]
public sealed partial record CnnDropout(
    [Conv2d(3, 3, Padding = 1), Relu, Dropout(0.3f)] Conv2d Conv1,
    [Conv2d(2, 3, Padding = 1), Gelu, MaxPool2d(2), Dropout(0.2f)] Conv2d Conv2,
    [Dense(4), Relu, Dropout(0.25f)] Dense Hidden,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>Overlapping max pooling (2×2 at stride 1), whose backward adds where windows share an input; leaky ReLU's run-time slope on both sides.</summary>
[Network(Channels = 2, Height = 5, Width = 5)]
public sealed partial record CnnOverlap(
    [Conv2d(3, 3, Padding = 1), LeakyRelu(Slope = 0.1f)] Conv2d Conv1,
    [Conv2d(2, 3, Padding = 1), LeakyRelu(Slope = 0.2f), MaxPool2d(2, Stride = 1)] Conv2d Conv2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

// One pair per activation: a fused convolution (its derivative applied by the one above, in col2im) under a pooled one
// (the derivative applied as max pooling's backward routes the gradient; GELU and SiLU keep z and take their own pass).
[Network(Channels = 1, Height = 6, Width = 6)]
public sealed partial record CnnSigmoid([Conv2d(2, 3, Padding = 1), Sigmoid] Conv2d Conv1, [Conv2d(3, 3, Padding = 1), Sigmoid, MaxPool2d(2)] Conv2d Conv2, [Dense(3), SoftmaxCrossEntropy] Dense Scores);
[Network(Channels = 1, Height = 6, Width = 6)]
public sealed partial record CnnTanh([Conv2d(2, 3, Padding = 1), Tanh] Conv2d Conv1, [Conv2d(3, 3, Padding = 1), Tanh, MaxPool2d(2)] Conv2d Conv2, [Dense(3), SoftmaxCrossEntropy] Dense Scores);
[Network(Channels = 1, Height = 6, Width = 6)]
public sealed partial record CnnElu([Conv2d(2, 3, Padding = 1), Elu] Conv2d Conv1, [Conv2d(3, 3, Padding = 1), Elu(Alpha = 0.7f), MaxPool2d(2)] Conv2d Conv2, [Dense(3), SoftmaxCrossEntropy] Dense Scores);
[Network(Channels = 1, Height = 6, Width = 6)]
public sealed partial record CnnGelu([Conv2d(2, 3, Padding = 1), Gelu] Conv2d Conv1, [Conv2d(3, 3, Padding = 1), Gelu, MaxPool2d(2)] Conv2d Conv2, [Dense(3), SoftmaxCrossEntropy] Dense Scores);
[Network(Channels = 1, Height = 6, Width = 6)]
public sealed partial record CnnSilu([Conv2d(2, 3, Padding = 1), Silu] Conv2d Conv1, [Conv2d(3, 3, Padding = 1), Silu, AvgPool2d(2)] Conv2d Conv2, [Dense(3), SoftmaxCrossEntropy] Dense Scores);
[Network(Channels = 1, Height = 6, Width = 6)]
public sealed partial record CnnLinear([Conv2d(2, 3, Padding = 1)] Conv2d Conv1, [Conv2d(3, 3, Padding = 1), MaxPool2d(2)] Conv2d Conv2, [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>Batch norm per channel after each convolution (γ, β replace b), fused with ReLU in the first, and before SiLU (kept u) with average pooling in the second.</summary>
[Network(Channels = 2, Height = 6, Width = 6)]
public sealed partial record CnnBatchNorm(
    [Conv2d(3, 3, Padding = 1), BatchNorm, Relu, MaxPool2d(2)] Conv2d Conv1,
    [Conv2d(4, 3, Padding = 1), BatchNorm(Momentum = 0.2f, Epsilon = 1e-3f), Silu, AvgPool2d(3)] Conv2d Conv2,
    [Dense(3), SoftmaxCrossEntropy] Dense Scores);

/// <summary>Batch norm per channel with dropout and no pooling (tanh, fused into batch norm's pass), over one filter: its statistics span batch × pixels.</summary>
[Network(Channels = 1, Height = 5, Width = 5)]
public sealed partial record CnnBatchNormDropout(
    [Conv2d(1, 3, Padding = 1), BatchNorm, Tanh, Dropout(0.3f)] Conv2d Conv1,
    [Conv2d(3, 3, Stride = 2), BatchNorm, LeakyRelu] Conv2d Conv2,
    [Dense(3), Hinge] Dense Scores);

/// <summary>Every convolution backward against centered differences of the double-precision reference (the shared machinery of <see cref="GradientCheckTests"/>).</summary>
public sealed class ConvolutionGradientTests(ITestOutputHelper output)
{
    private static Hyperparameters Trial(Hyperparameters declared, float dropout) =>
        declared.Layers.Aggregate(declared, (h, l) => h.With(l.Layer, layer => layer with
        {
            Dropout = layer.HasDropout ? dropout : 0f,
            LeakySlope = layer.Activation == ActivationKind.LeakyRelu ? 0.3f : 0f,
            EluAlpha = layer.Activation == ActivationKind.Elu ? 1.4f : 0f,
            BatchNormMomentum = layer.HasBatchNorm ? 0.3f : 0f,
            BatchNormEpsilon = layer.HasBatchNorm ? 1e-2f : 0f,
        }));

    public static TheoryData<GradientCheckTests.ICase, float, Isa, int> Cases()
    {
        var cases = new GradientCheckTests.ICase[]
        {
            new GradientCheckTests.Case<CnnMaxPool>(), new GradientCheckTests.Case<CnnStridePadding>(), new GradientCheckTests.Case<CnnDropout>(),
            new GradientCheckTests.Case<CnnOverlap>(), new GradientCheckTests.Case<CnnSigmoid>(), new GradientCheckTests.Case<CnnTanh>(),
            new GradientCheckTests.Case<CnnElu>(), new GradientCheckTests.Case<CnnGelu>(), new GradientCheckTests.Case<CnnSilu>(),
            new GradientCheckTests.Case<CnnLinear>(), new GradientCheckTests.Case<CnnBatchNorm>(), new GradientCheckTests.Case<CnnBatchNormDropout>(),
        };
        var data = new TheoryData<GradientCheckTests.ICase, float, Isa, int>();
        foreach (var c in cases)
            foreach (var isa in new[] { Cpu.Best, Isa.Scalar })
            {
                data.Add(c, 0f, isa, 9);
                data.Add(c, 0.1f, isa, 9);
            }
        // Batch 1 (one image: the kernels' per-image split has a single chunk), at every width. Without L2 here: at batch 1 a
        // gradient of ~0.017 nearly cancels against λW (CnnStridePadding's Grow.W[10, 1]: −0.0155 + 0.0172), which turns
        // float32's ~1e-5 relative noise in the data gradient into ~2e-4 of the small sum; L2 is checked at batch 9 above.
        foreach (var c in cases)
            foreach (var isa in new[] { Cpu.Best, Isa.Scalar })
                data.Add(c, 0f, isa, 1);
        // Run-time values no declaration holds, dropout on and off.
        foreach (var (label, p) in new[] { ("trial values, p 0.45", 0.45f), ("trial values, p 0", 0f) })
        {
            data.Add(new GradientCheckTests.Case<CnnDropout>(h => Trial(h, p), label), 0.1f, Cpu.Best, 9);
            data.Add(new GradientCheckTests.Case<CnnOverlap>(h => Trial(h, p), label), 0.1f, Cpu.Best, 9);
            data.Add(new GradientCheckTests.Case<CnnStridePadding>(h => Trial(h, p), label), 0.1f, Isa.Scalar, 9);
            data.Add(new GradientCheckTests.Case<CnnBatchNormDropout>(h => Trial(h, p), label), 0.1f, Cpu.Best, 9);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convolution_backward_matches_centered_differences_of_the_reference(GradientCheckTests.ICase network, float l2, Isa isa, int batch)
    {
        using var _ = Cpu.Pin(isa);
        var report = network.Check(l2, batch, seed: 3);
        output.WriteLine($"{network.Name} l2={l2} {isa} batch {batch}: {report.Parameters} parameters, max relative error {report.MaxRelativeError:E2} at {report.WorstParameter}; |loss − reference| = {report.LossDifference:E2}");
        Assert.True(report.MaxRelativeError < 1e-4, $"max relative error {report.MaxRelativeError:E2} at {report.WorstParameter}");
        Assert.True(report.LossDifference < 1e-5, $"fast loss differs from the reference by {report.LossDifference:E2}");
    }
}
