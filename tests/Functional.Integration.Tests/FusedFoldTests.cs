// The fold with the optimizer fused into backward against the same fold with fusion off: identical to the last bit.
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Integration.Tests;

public sealed class FusedFoldTests
{
    private static void SameWithAndWithoutFusion<TNet>(Optimizer optimizer, int batch, float l2) where TNet : class, INetwork<TNet>
    {
        var data = TestData.Random(96, TNet.InputCount, TNet.ClassCount, seed: 21);
        var step = new TrainStep<TNet>().WithL2(l2).WithSeed(5);
        var fused = data.Batches(batch, 3).Fold(TrainState.Of(TNet.Init(9), optimizer), step);
        var separate = data.Batches(batch, 3).Fold(TrainState.Of(TNet.Init(9), optimizer with { Fuse = false }), step);

        string what = $"{typeof(TNet).Name}, {optimizer.GetType().Name}, batch {batch}, λ {l2}";
        Assert.True(fused.Model.Parameters.Span.SequenceEqual(separate.Model.Parameters.Span), $"{what}: parameters differ");
        Assert.True(fused.Model.Buffers.Span.SequenceEqual(separate.Model.Buffers.Span), $"{what}: buffers differ");
        if (fused.OptimizerState.Find<VelocityState>() is { } v)
            Assert.True(v.Velocity.SequenceEqual(separate.OptimizerState.Find<VelocityState>()!.Velocity), $"{what}: velocities differ");
        // …and training moved the parameters, so the equality above means something.
        Assert.False(fused.Model.Parameters.Span.SequenceEqual(TNet.Init(9).Parameters.Span), $"{what}: nothing was trained");
    }

    public static TheoryData<int, float, bool> Settings()
    {
        var data = new TheoryData<int, float, bool>();
        foreach (int batch in new[] { 1, 16 })
            foreach (float l2 in new[] { 0f, 0.01f })
                foreach (bool momentum in new[] { true, false })
                    data.Add(batch, l2, momentum);
        return data;
    }

    // Small enough that every network here trains at batch 1 with momentum (at 0.05 Maxout went to NaN, and two NaN
    // runs compared equal — the fold's divergence guard now says so).
    private static Optimizer Of(bool momentum) => momentum ? Sgd.Momentum(0.02f, 0.9f) : Sgd.Plain(0.02f);

    [Theory, MemberData(nameof(Settings))]
    public void Plain_layers(int batch, float l2, bool momentum) => SameWithAndWithoutFusion<AwkwardMlp>(Of(momentum), batch, l2);

    [Theory, MemberData(nameof(Settings))]
    public void Batch_norm_and_dropout(int batch, float l2, bool momentum) => SameWithAndWithoutFusion<ReluBnDrop>(Of(momentum), Math.Max(batch, 2), l2);

    [Theory, MemberData(nameof(Settings))]
    public void Learned_slopes_and_batch_norm(int batch, float l2, bool momentum) => SameWithAndWithoutFusion<PReluBn>(Of(momentum), Math.Max(batch, 2), l2);

    [Theory, MemberData(nameof(Settings))]
    public void Maxout_and_hinge(int batch, float l2, bool momentum)
    {
        SameWithAndWithoutFusion<MaxoutDrop>(Of(momentum), batch, l2);
        SameWithAndWithoutFusion<HingeNet>(Of(momentum), batch, l2);
    }

    [Theory, MemberData(nameof(Settings))]
    public void Kept_pre_activations(int batch, float l2, bool momentum)
    {
        SameWithAndWithoutFusion<GeluDrop>(Of(momentum), batch, l2);
        SameWithAndWithoutFusion<SiluBn>(Of(momentum), Math.Max(batch, 2), l2);
    }

    [Theory, MemberData(nameof(Settings))]
    public void Convolutions(int batch, float l2, bool momentum)
    {
        SameWithAndWithoutFusion<CnnMaxPool>(Of(momentum), batch, l2);
        SameWithAndWithoutFusion<CnnDropout>(Of(momentum), batch, l2);
        SameWithAndWithoutFusion<CnnStridePadding>(Of(momentum), batch, l2);
        SameWithAndWithoutFusion<CnnBatchNorm>(Of(momentum), Math.Max(batch, 2), l2);
    }
}
