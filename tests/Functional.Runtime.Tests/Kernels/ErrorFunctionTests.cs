// The float erf under GELU against MathNet's double erf, at every SIMD width: its error in ulps, measured and bounded.
using System.Runtime.Intrinsics;
using Functional.Kernels;
using MathNet.Numerics;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

public sealed unsafe class ErrorFunctionTests(ITestOutputHelper output)
{
    /// <summary>
    /// 1.6 million floats in ±4.5 (beyond, erf rounds to ±1): half spread evenly over the bit patterns from 1e-12 up, so
    /// every binade gets its share, half uniform in value. Signs mirrored.
    /// </summary>
    private static float[] Inputs()
    {
        var random = new SeededRandom(11);
        int lowBits = BitConverter.SingleToInt32Bits(1e-12f), highBits = BitConverter.SingleToInt32Bits(4.5f);
        var values = new float[1_600_000];
        for (int i = 0; i < values.Length / 2; i += 2)
        {
            values[i] = BitConverter.Int32BitsToSingle(lowBits + (int)(random.NextDouble() * (highBits - lowBits)));
            values[i + 1] = (float)(random.NextDouble() * 4.5);
        }
        for (int i = 0; i < values.Length / 2; i++) values[values.Length / 2 + i] = -values[i];
        return values;
    }

    private static readonly float[] Grid = Inputs();

    /// <summary>f applied lane by lane at <paramref name="isa"/>'s width (the last few at one lane, as the kernels do).</summary>
    private static float[] Apply(Isa isa, float[] x, bool onePlus)
    {
        var y = new float[x.Length];
        fixed (float* px = x, py = y)
        {
            int i = 0;
            switch (isa)
            {
                case Isa.Vector512: for (; i + 16 <= x.Length; i += 16) Simd512.Store(py + i, Run<Simd512, Vector512<float>>(Simd512.Load(px + i), onePlus)); break;
                case Isa.Vector256: for (; i + 8 <= x.Length; i += 8) Simd256.Store(py + i, Run<Simd256, Vector256<float>>(Simd256.Load(px + i), onePlus)); break;
                case Isa.Vector128: for (; i + 4 <= x.Length; i += 4) Simd128.Store(py + i, Run<Simd128, Vector128<float>>(Simd128.Load(px + i), onePlus)); break;
            }
            for (; i < x.Length; i++) py[i] = Run<Scalar, float>(px[i], onePlus);
        }
        return y;
    }

    private static TV Run<TS, TV>(TV u, bool onePlus) where TS : ISimd<TV> where TV : struct =>
        onePlus ? ErrorFunction.OnePlusErf<TS, TV>(u) : ErrorFunction.Erf<TS, TV>(u);

    /// <summary>|got − exact| in units of the float spacing at the exact value.</summary>
    private static double Ulps(float got, double exact) => Math.Abs(got - exact) / Math.Max(float.Epsilon, MathF.BitIncrement((float)Math.Abs(exact)) - (float)Math.Abs(exact));

    public static TheoryData<Isa> AllWidths() => [.. Widths.All];

    [Theory]
    [MemberData(nameof(AllWidths))]
    public void Erf_is_within_two_ulps_of_the_double_reference(Isa isa)
    {
        var erf = Apply(isa, Grid, onePlus: false);
        double worst = 0, sum = 0;
        float at = 0;
        for (int i = 0; i < Grid.Length; i++)
        {
            double e = Ulps(erf[i], SpecialFunctions.Erf(Grid[i]));
            sum += e;
            if (e > worst) { worst = e; at = Grid[i]; }
        }
        output.WriteLine($"{isa}: erf max {worst:F2} ulp at {at:R}, mean {sum / Grid.Length:F3} ulp over {Grid.Length:N0} floats");
        Assert.True(worst <= 2, $"{isa}: erf is {worst:F2} ulp off at {at:R}");
        Assert.Equal(1f, Apply(isa, [10f, float.PositiveInfinity], onePlus: false)[0]);
        Assert.Equal(-1f, Apply(isa, [-10f, float.NegativeInfinity], onePlus: false)[1]);
        Assert.Equal(0f, Apply(isa, [0f], onePlus: false)[0]);
    }

    /// <summary>1 + erf(u) keeps its relative accuracy where erf(u) ≈ −1 (GELU's negative tail), which 1 + erf computed naively cannot.</summary>
    [Theory]
    [MemberData(nameof(AllWidths))]
    public void One_plus_erf_keeps_relative_accuracy_in_the_negative_tail(Isa isa)
    {
        var onePlus = Apply(isa, Grid, onePlus: true);
        double worstRelative = 0, worstUlps = 0;
        for (int i = 0; i < Grid.Length; i++)
        {
            double exact = SpecialFunctions.Erfc(-Grid[i]);
            if (Grid[i] > -4) worstUlps = Math.Max(worstUlps, Ulps(onePlus[i], exact));
            worstRelative = Math.Max(worstRelative, Math.Abs(onePlus[i] - exact) / exact);
        }
        output.WriteLine($"{isa}: 1 + erf max {worstUlps:F2} ulp for u > −4, max relative error {worstRelative:E2} down to u = −4.5");
        Assert.True(worstRelative < 2e-5, $"{isa}: 1 + erf relative error {worstRelative:E2}");
        Assert.True(worstUlps < 64, $"{isa}: 1 + erf is {worstUlps:F2} ulp off");
    }

    /// <summary>
    /// GELU built on it, against ½x·erfc(−x/√2) in double. Measured: absolute error ≤ 3.9e-7 over ±6.4 (under 1 ulp of the
    /// largest values), at most 18 ulp for x ≥ −3 (at x ≈ −2.87, where y ≈ −0.006 and the rounding of x/√2 and u² in erfc's
    /// exponent is 1e-6 relative), and 5e-6 relative below −3. PyTorch 1.13's float GELU (1 + erf(u) by addition), measured
    /// on ±6.4: absolute 3.7e-7, but 6e-5 relative near x = −2.9, 5e-2 by x = −5, and exactly 0 below x ≈ −5.54.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllWidths))]
    public void Gelu_forward_error_is_bounded_in_absolute_ulps_and_relative_terms(Isa isa)
    {
        using var _ = Cpu.Pin(isa);
        var x = Array.ConvertAll(Grid, u => u * MathF.Sqrt(2f));
        var y = new float[x.Length];
        ActivationPass.Forward<Gelu>(x, y);
        double worstAbsolute = 0, worstUlps = 0, worstTail = 0;
        float at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Reference.Gelu(x[i]);
            worstAbsolute = Math.Max(worstAbsolute, Math.Abs(y[i] - exact));
            if (x[i] >= -3) { double e = Ulps(y[i], exact); if (e > worstUlps) { worstUlps = e; at = x[i]; } }
            else worstTail = Math.Max(worstTail, Math.Abs(y[i] - exact) / Math.Abs(exact));
        }
        output.WriteLine($"{isa}: GELU max |error| {worstAbsolute:E2} over ±6.4, max {worstUlps:F2} ulp for x ≥ −3 (at {at:R}), relative {worstTail:E2} below −3");
        Assert.True(worstAbsolute < 1e-6, $"{isa}: GELU absolute error {worstAbsolute:E2}");
        Assert.True(worstUlps < 32, $"{isa}: GELU is {worstUlps:F2} ulp off at {at:R}");
        Assert.True(worstTail < 2e-5, $"{isa}: GELU relative error {worstTail:E2} in the tail");
    }
}
