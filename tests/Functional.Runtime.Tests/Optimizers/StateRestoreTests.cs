// Optimizer states through a checkpoint's blocks: a restored state continues bit for bit, and a wrong block is named.
using Functional.Optimizers;
using Functional.Tests.Kernels;

namespace Functional.Tests.Optimizers;

public sealed class StateRestoreTests
{
    public static TheoryData<string> Names() => OptimizerCases.Names();

    /// <summary>
    /// Five steps (and, halfway, a metric for a plateau to act on), the blocks copied out as a checkpoint stores them,
    /// restored (through the layout when a mask needs it), then five more steps from the original and from the
    /// restored state: parameters, blocks and counts the same to the last bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void A_restored_state_continues_bit_for_bit(string name)
    {
        var c = OptimizerCases.Named(name);
        int count = c.Size(41);
        var state = c.Init(count);
        float[] theta = Fill.Uniform(count, 9);
        for (int step = 0; step < 5; step++)
        {
            c.Optimizer.ApplyInPlace(theta, Fill.Uniform(count, 90 + step), state);
            if (step == 2) state = c.Optimizer.Observe(state, 2.0);
        }
        state = c.Optimizer.Observe(state, 3.0);
        state = c.Optimizer.Observe(state, 3.0); // a plateau of patience 1 now reduces its scale
        var blocks = Checkpoint(state);

        var restored = Restore(c, count, blocks, state.StepCount);
        // The restored state owns its numbers: what the checkpoint's arrays hold afterwards does not matter.
        foreach (var block in blocks.Values) block.AsSpan().Fill(float.NaN);

        Assert.Equal(state.GetType(), restored.GetType());
        Assert.Equal(c.Optimizer.CurrentLearningRate(state), c.Optimizer.CurrentLearningRate(restored));
        float[] resumed = (float[])theta.Clone();
        for (int step = 0; step < 5; step++)
        {
            float[] gradient = Fill.Uniform(count, 95 + step);
            c.Optimizer.ApplyInPlace(theta, gradient, state);
            c.Optimizer.ApplyInPlace(resumed, gradient, restored);
        }
        CompositionTests.AssertSameBits(theta, resumed, $"{name}: θ five steps after the restore");
        CompositionTests.AssertSameBlocks(Checkpoint(state), Checkpoint(restored), $"{name} five steps after the restore");
        Assert.Equal(10, restored.StepCount);
        if (restored is ChainState chain) Assert.All(chain.Links, l => Assert.Equal(10, l.StepCount));
    }

    [Fact]
    public void A_missing_block_is_named_with_the_blocks_there_are()
    {
        var adam = Optimizer.Adam();
        var blocks = Checkpoint(Stepped(adam, 5));
        blocks.Remove("0.v");

        var error = Assert.Throws<ArgumentException>(() => adam.Restore(5, blocks, 1));

        Assert.Equal("blocks", error.ParamName);
        Assert.Contains("\"0.v\"", error.Message);
        Assert.Contains("0.m", error.Message);
    }

    [Fact]
    public void An_extra_block_is_named()
    {
        var momentum = Sgd.Momentum(0.1f);
        var blocks = Checkpoint(Stepped(momentum, 5));
        blocks["0.m"] = new float[5];
        blocks["3.velocity"] = new float[5];

        var error = Assert.Throws<ArgumentException>(() => momentum.Restore(5, blocks, 1));

        Assert.Equal("blocks", error.ParamName);
        Assert.Contains("\"0.m\", \"3.velocity\"", error.Message);
        Assert.Contains("trace → scale_by_learning_rate", error.Message);
    }

    [Fact]
    public void A_block_of_the_wrong_length_is_named_with_both_lengths()
    {
        var rms = Optimizer.RmsProp(centered: true);
        var blocks = Checkpoint(Stepped(rms, 6));
        blocks["0.mean"] = new float[7];

        var error = Assert.Throws<ArgumentException>(() => rms.Restore(6, blocks, 1));

        Assert.Equal("blocks", error.ParamName);
        Assert.Contains("\"0.mean\"", error.Message);
        Assert.Contains("7", error.Message);
        Assert.Contains("6", error.Message);
    }

    [Fact]
    public void A_plateau_block_that_is_no_plateaus_standing_is_refused()
    {
        var optimizer = Optimizer.Chain(Sgd.Plain(0.1f), new ReduceOnPlateau());
        foreach (float[] bad in new[] { new[] { 0f, 1f, 0f, 0f }, [1.5f, 1f, 0f, 0f], [1f, float.NaN, 0f, 0f], [1f, 1f, -1f, 0f], [1f, 1f, 0.5f, 0f], [1f, 1f, 0f, -2f] })
        {
            var error = Assert.Throws<ArgumentException>(() => optimizer.Restore(4, new Dictionary<string, float[]> { ["1.plateau"] = bad }, 3));
            Assert.Equal("blocks", error.ParamName);
            Assert.Contains("plateau", error.Message);
        }
    }

    [Fact]
    public void A_stateless_optimizer_restores_from_no_blocks_and_a_negative_count_is_refused()
    {
        var sgd = Sgd.Plain(0.1f);
        var restored = sgd.Restore(3, new Dictionary<string, float[]>(), 7);
        Assert.Equal(7, restored.StepCount);
        Assert.Empty(restored.Blocks);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Restore(3, new Dictionary<string, float[]>(), -1));
    }

    private static OptimizerState Restore(OptimizerCase c, int count, Dictionary<string, float[]> blocks, long stepCount) =>
        c.NeedsLayout ? c.Optimizer.Restore(OptimizerCases.Layout, blocks, stepCount) : c.Optimizer.Restore(count, blocks, stepCount);

    /// <summary>The blocks as a checkpoint holds them: arrays of their own.</summary>
    private static Dictionary<string, float[]> Checkpoint(OptimizerState state) => CompositionTests.Snapshot(state);

    private static OptimizerState Stepped(Optimizer optimizer, int count)
    {
        var state = optimizer.Init(count);
        optimizer.ApplyInPlace(new float[count], Fill.Uniform(count, 1), state);
        return state;
    }
}
