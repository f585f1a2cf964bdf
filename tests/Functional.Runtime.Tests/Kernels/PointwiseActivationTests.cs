// Every pointwise activation's SIMD forward and derivative (from its output, or its kept input) against the naive double reference, at every width.
using Functional.Kernels;

namespace Functional.Tests.Kernels;

public sealed class PointwiseActivationTests
{
    /// <summary>
    /// An activation under test: its kernel instantiation and the reference f and f′ in double. <see cref="FromInput"/>: its
    /// backward reads the pre-activation z (GELU, SiLU), so the tests hand it z where the others get y.
    /// </summary>
    public sealed record Case(string Name, Action<float[], float[]> Forward, Action<Span<float>, float[]> Backward, Func<double, double> F, Func<double, double> Derivative,
        Action<float[], float[], float[], int> GemmForward, Action<float[], float[], float[], float[], int> GemmBackward, bool FromInput,
        Action<float[], float[], Span<float>, Span<float>, int, int> GemmForwardKeeping, Action<float[], float[], float[], int, int> GemmForwardPlain)
    {
        public override string ToString() => Name;
    }

    /// <summary>The activation is a value (a parameterised one carries its slope or α), so every kernel is handed it.</summary>
    private static Case Make<TAct>(string name, TAct activation, Func<double, double> f, Func<double, double> derivative, bool fromInput = false) where TAct : struct, IActivation
        => new(name, (z, y) => ActivationPass.Forward(z, y, activation), (dy, saved) => ActivationPass.BackwardInPlace(dy, saved, activation), f, derivative,
            (x, w, y, n) => Gemm.Forward(x, w, new float[n], y, 1, n, n, activation),
            (dz, w, below, dx, n) => Gemm.InputGradient(dz, w, below, dx, 1, n, n, activation), fromInput,
            (x, w, z, y, batch, n) => Gemm.Forward(x, w, Bias(n), z, y, batch, n, n, activation),
            (x, w, y, batch, n) => Gemm.Forward(x, w, Bias(n), y, batch, n, n, activation));

    private static float[] Bias(int n) => Fill.Uniform(n, seed: 77, scale: 0.5f);

    private static readonly Case[] Activations =
    [
        Make("ReLU", new Relu(), Reference.Relu, z => z > 0 ? 1 : 0),
        Make("sigmoid", new Sigmoid(), Reference.Sigmoid, z => Reference.Sigmoid(z) * (1 - Reference.Sigmoid(z))),
        Make("tanh", new Tanh(), Reference.Tanh, z => 1 - Math.Tanh(z) * Math.Tanh(z)),
        Make("leaky ReLU 0.1", new LeakyRelu(0.1f), z => Reference.LeakyRelu(z, 0.1f), z => z > 0 ? 1 : 0.1f),
        Make("ELU 0.7", new Elu(0.7f), z => Reference.Elu(z, 0.7f), z => z > 0 ? 1 : 0.7f * Math.Exp(z)),
        // Values no declaration holds: a run-time parameter reaches the SIMD lanes and the scalar tail alike.
        Make("leaky ReLU 0.37", new LeakyRelu(0.37f), z => Reference.LeakyRelu(z, 0.37f), z => z > 0 ? 1 : 0.37f),
        Make("ELU 2.5", new Elu(2.5f), z => Reference.Elu(z, 2.5f), z => z > 0 ? 1 : 2.5f * Math.Exp(z)),
        // Non-monotone: the derivative is read from the kept pre-activation z.
        Make("GELU", new Gelu(), Reference.Gelu, z => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-z / Math.Sqrt(2)) + z * Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI), fromInput: true),
        Make("SiLU", new Silu(), Reference.Silu, z => Reference.Sigmoid(z) * (1 + z * (1 - Reference.Sigmoid(z))), fromInput: true),
    ];

    public static TheoryData<Case, Isa, int> Cases() => Table(1, 7, 17, 255, 257);

    /// <summary>Shorter lengths for the product: an identity matrix of 255² is slow at the emulated widths and adds nothing.</summary>
    public static TheoryData<Case, Isa, int> EpilogueCases() => Table(1, 7, 17, 33);

    private static TheoryData<Case, Isa, int> Table(params int[] lengths)
    {
        var data = new TheoryData<Case, Isa, int>();
        foreach (var a in Activations)
            foreach (var isa in Widths.All)
                foreach (int n in lengths)
                    data.Add(a, isa, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_derivative_match_the_reference(Case activation, Isa isa, int length)
    {
        using var _ = Cpu.Pin(isa);
        // Inputs spanning the saturating tails (±12) and values near the kinks.
        var z = Fill.Uniform(length, seed: length, scale: 12f);
        if (length > 2) { z[0] = 0f; z[1] = -80f; z[2] = 80f; }
        var y = new float[length];
        activation.Forward(z, y);
        double forward = 0;
        for (int i = 0; i < length; i++) forward = Math.Max(forward, Math.Abs(y[i] - activation.F(z[i])));

        var dy = Fill.Uniform(length, seed: length + 1);
        var dz = (float[])dy.Clone();
        activation.Backward(dz, activation.FromInput ? z : y);
        double backward = 0;
        for (int i = 0; i < length; i++)
            if (z[i] != 0f) backward = Math.Max(backward, Math.Abs(dz[i] - dy[i] * activation.Derivative(z[i])));

        Assert.True(forward < 2e-6, $"{activation.Name} at {isa}, n = {length}: max |f − reference| = {forward:E2}");
        Assert.True(backward < 2e-6, $"{activation.Name} at {isa}, n = {length}: max |dz − reference| = {backward:E2}");
        Assert.All(y, v => Assert.True(float.IsFinite(v), $"{activation.Name}: non-finite output {v}"));
    }

    /// <summary>The same activations as the epilogues of the matrix product, which instantiate them at every vector width.</summary>
    [Theory]
    [MemberData(nameof(EpilogueCases))]
    public void As_the_product_epilogue_they_match_the_reference(Case activation, Isa isa, int length)
    {
        using var _ = Cpu.Pin(isa);
        var identity = new float[length * length];
        for (int i = 0; i < length; i++) identity[i * length + i] = 1f;
        var z = Fill.Uniform(length, seed: length, scale: 12f);
        var y = new float[length];
        activation.GemmForward(z, identity, y, length); // y = f(z·I + 0)
        double forward = 0;
        for (int i = 0; i < length; i++) forward = Math.Max(forward, Math.Abs(y[i] - activation.F(z[i])));

        var dy = Fill.Uniform(length, seed: length + 1);
        var dx = new float[length];
        activation.GemmBackward(dy, identity, activation.FromInput ? z : y, dx, length); // dx = (dy·Iᵀ) ⊙ f′(y), or f′(z)
        double backward = 0;
        for (int i = 0; i < length; i++) backward = Math.Max(backward, Math.Abs(dx[i] - dy[i] * activation.Derivative(z[i])));

        Assert.True(forward < 2e-6, $"{activation.Name} epilogue at {isa}, n = {length}: max |f − reference| = {forward:E2}");
        Assert.True(backward < 2e-6, $"{activation.Name} epilogue at {isa}, n = {length}: max |dx − reference| = {backward:E2}");
    }

    public static TheoryData<Case, Isa, int, int> KeepingCases()
    {
        var data = new TheoryData<Case, Isa, int, int>();
        foreach (var a in Activations.Where(a => a.FromInput))
            foreach (var isa in Widths.All)
                foreach (var (batch, n) in new[] { (1, 7), (2, 17), (7, 33), (9, 70) })
                    data.Add(a, isa, batch, n);
        return data;
    }

    /// <summary>
    /// The forward that keeps z beside y, at every width and on ragged shapes (one and two rows take the direct path,
    /// more rows the packed tiles; 7, 17, 33 and 70 columns leave partial vectors): z is bit for bit the plain product with
    /// bias, y bit for bit the plain fused forward, and no store reaches past either buffer.
    /// </summary>
    [Theory]
    [MemberData(nameof(KeepingCases))]
    public void Keeping_the_input_stores_z_and_y_exactly_as_the_plain_products(Case activation, Isa isa, int batch, int n)
    {
        using var _ = Cpu.Pin(isa);
        var x = Fill.Uniform(batch * n, seed: n, scale: 2f);
        var w = Fill.Uniform(n * n, seed: n + 1, scale: 0.5f);
        Guarded z = new(batch * n), y = new(batch * n);
        activation.GemmForwardKeeping(x, w, z.Span, y.Span, batch, n);
        var plainZ = new float[batch * n];
        var plainY = new float[batch * n];
        Gemm.Forward<Identity>(x, w, Bias(n), plainZ, batch, n, n);
        activation.GemmForwardPlain(x, w, plainY, batch, n);

        Assert.True(z.Span.SequenceEqual(plainZ), $"{activation.Name} at {isa}, {batch}×{n}: kept z differs from x·W + b");
        Assert.True(y.Span.SequenceEqual(plainY), $"{activation.Name} at {isa}, {batch}×{n}: y differs from the plain fused forward");
        z.AssertGuardsIntact("z");
        y.AssertGuardsIntact("y");
    }
}
