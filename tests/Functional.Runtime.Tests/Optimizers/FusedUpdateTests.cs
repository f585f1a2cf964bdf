// The optimizer fused into the weight gradient: bit for bit the unfused product followed by the optimizer's own pass.
using Functional.Kernels;
using Functional.Optimizers;
using Functional.Tests.Kernels;

namespace Functional.Tests.Optimizers;

public sealed class FusedUpdateTests
{
    public static TheoryData<Isa, int, int, int, bool, float> Cases()
    {
        var data = new TheoryData<Isa, int, int, int, bool, float>();
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Vector256, Isa.Vector512 })
            foreach (var (batch, inputs, outputs) in new[] { (1, 3, 1), (1, 7, 17), (1, 257, 255), (1, 784, 256), (1, 2, 9), (3, 17, 7), (64, 33, 20) })
                foreach (bool momentum in new[] { true, false })
                    foreach (float l2 in new[] { 0f, 0.01f })
                        data.Add(isa, batch, inputs, outputs, momentum, l2);
        return data;
    }

    /// <summary>
    /// Two steps (so the velocity is not zero going into the second) of the fused weight gradient against the same
    /// steps unfused: g written to dW, then the optimizer's ApplyInPlace. Batch 1 without L2 takes the fused row
    /// pass; the rest fall back to writing g; both must leave θ and v identical to the last bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_weight_gradient_equals_writing_the_gradient_then_applying_the_optimizer(Isa isa, int batch, int inputs, int outputs, bool momentum, float l2)
    {
        Optimizer optimizer = momentum ? Sgd.Momentum(0.05f, 0.9f) : Sgd.Plain(0.05f);
        int n = inputs * outputs;
        float[] fused = Fill.Uniform(n, 81), separate = (float[])fused.Clone();
        var fusedState = optimizer.Init(n);
        var separateState = optimizer.Init(n);
        var scratch = new float[n];
        var dW = new float[n];
        using (Cpu.Pin(isa))
            for (int step = 0; step < 2; step++)
            {
                float[] x = Fill.Uniform(batch * inputs, 82 + step), dz = Fill.Uniform(batch * outputs, 84 + step);
                Assert.True(optimizer.TryFuse(fused, fusedState, out var update));
                Gemm.WeightGradient(x, dz, fused, scratch, batch, inputs, outputs, l2, update);
                Gemm.WeightGradient(x, dz, separate, dW, batch, inputs, outputs, l2, default);
                optimizer.ApplyInPlace(separate, dW, separateState);
            }

        Assert.True(fused.AsSpan().SequenceEqual(separate), $"{isa}, {batch}×{inputs}×{outputs}, momentum {momentum}, λ {l2}: θ differs at {FirstDifference(fused, separate)}");
        if (momentum)
        {
            var a = ((VelocityState)fusedState).Velocity.ToArray();
            var b = ((VelocityState)separateState).Velocity.ToArray();
            Assert.True(a.AsSpan().SequenceEqual(b), $"{isa}, {batch}×{inputs}×{outputs}, λ {l2}: v differs at {FirstDifference(a, b)}");
        }
    }

    [Fact]
    public void An_update_bound_to_another_tensor_is_refused()
    {
        var optimizer = Sgd.Momentum(0.1f);
        float[] weights = new float[12], other = new float[12];
        var state = optimizer.Init(12);
        ArgumentException? error = null;
        try
        {
            Assert.True(optimizer.TryFuse(other, state, out var update));
            Gemm.WeightGradient(new float[3], new float[4], weights, new float[12], 1, 3, 4, 0f, update);
        }
        catch (ArgumentException e) { error = e; }
        Assert.NotNull(error);
        Assert.Equal("update", error.ParamName);
        Assert.All(weights, w => Assert.Equal(0f, w));
    }

    [Fact]
    public void An_optimizer_with_fusion_off_does_not_fuse()
    {
        var optimizer = Sgd.Momentum(0.1f) with { Fuse = false };
        Assert.False(optimizer.TryFuse(new float[4], optimizer.Init(4), out var update));
        Assert.False(update.IsActive);
    }

    private static int FirstDifference(float[] a, float[] b)
    {
        for (int i = 0; i < a.Length; i++) if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) return i;
        return -1;
    }
}
