// Optimizers as values: pure Update + Apply equals ApplyInPlace bit for bit, inputs untouched, state structure kept, copies deep.
using Functional.Kernels;
using Functional.Optimizers;
using Functional.Tests.Kernels;

namespace Functional.Tests.Optimizers;

/// <remarks>Sets the process-wide <see cref="Parallelism.Threads"/>, so it runs in the thread-setting collection.</remarks>
[Collection(ThreadSettingCollection.Name)]
public sealed class CompositionTests
{
    private const int Steps = 6;

    /// <summary>Every case on 37 parameters (a tail at every vector width) and on 70,001 (split over three threads, ragged at the end).</summary>
    public static TheoryData<string, int> Cases() => OptimizerCases.Sized(37, 70_001);

    public static TheoryData<string> Names() => OptimizerCases.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Update_then_Apply_equals_ApplyInPlace_bit_for_bit(string name, int count)
    {
        var c = OptimizerCases.Named(name);
        float[] pure = Fill.Uniform(count, 3), inPlace = (float[])pure.Clone();
        var pureState = c.Init(count);
        var owned = c.Init(count);
        int saved = Parallelism.Threads;
        Parallelism.Threads = 3;
        try
        {
            for (int step = 1; step <= Steps; step++)
            {
                float[] gradient = Fill.Uniform(count, 30 + step);
                (var updates, pureState) = c.Optimizer.Update(gradient, pureState, pure);
                pure = Optimizer.Apply(pure, updates);
                c.Optimizer.ApplyInPlace(inPlace, gradient, owned);
                AssertSameBits(pure, inPlace, $"{name}, {count}: θ after step {step}");
                // Halfway, a plateau sees a metric, so its scale is no longer 1 (a no-op for every other case).
                if (step == Steps / 2) (pureState, owned) = (c.Optimizer.Observe(pureState, 1.0), c.Optimizer.Observe(owned, 1.0));
            }
        }
        finally { Parallelism.Threads = saved; }
        AssertSameBlocks(pureState, owned, $"{name}, {count}");
        Assert.Equal(Steps, owned.StepCount);
    }

    /// <summary>The formulas give the same bits at every vector width (each element alone, no FMA): a model trains the same on any CPU.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Every_vector_width_gives_the_same_bits(string name)
    {
        var c = OptimizerCases.Named(name);
        int count = c.Size(37);
        float[]? first = null;
        foreach (var isa in Widths.All)
            using (Cpu.Pin(isa))
            {
                float[] theta = Fill.Uniform(count, 4);
                var state = c.Init(count);
                for (int step = 0; step < 3; step++) c.Optimizer.ApplyInPlace(theta, Fill.Uniform(count, 40 + step), state);
                if (first is null) first = theta;
                else AssertSameBits(first, theta, $"{name} at {isa} against {Widths.All[0]}");
            }
    }

    /// <summary>
    /// A chain with ClipByGlobalNorm needs the whole gradient, so it is never fused: TryFuse says so and leaves the
    /// state as it was (no step counted); every other case fuses and counts the step once, in the chain and each link.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void TryFuse_fuses_exactly_the_elementwise_optimizers_and_counts_only_what_it_fuses(string name)
    {
        var c = OptimizerCases.Named(name);
        int count = c.Size(19);
        var state = c.Init(count);
        float[] theta = Fill.Uniform(count, 5);
        c.Optimizer.ApplyInPlace(theta, Fill.Uniform(count, 50), state);
        var blocks = Snapshot(state);

        bool fused = c.Optimizer.TryFuse(theta, state, out var update);

        Assert.Equal(!OptimizerCases.Clips(c), fused);
        Assert.Equal(fused, update.IsActive);
        var expected = fused ? 2 : 1;
        Assert.All(Counts(state), n => Assert.Equal(expected, n));
        if (!fused) AssertSameBlocks(blocks, Snapshot(state), $"{name}: a refused fusion");
    }

    /// <summary>The gradient, the parameters and the state given to Update are as they were, and the same call again gives the same bits.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Update_mutates_none_of_its_inputs(string name)
    {
        var c = OptimizerCases.Named(name);
        int count = c.Size(19);
        var state = c.Init(count);
        float[] parameters = Fill.Uniform(count, 6);
        // Two steps first, so every moment is non-zero and worth corrupting.
        for (int step = 0; step < 2; step++) (_, state) = c.Optimizer.Update(Fill.Uniform(count, 60 + step), state, parameters);
        float[] gradient = Fill.Uniform(count, 62);
        float[] gradientBefore = (float[])gradient.Clone(), parametersBefore = (float[])parameters.Clone();
        var blocksBefore = Snapshot(state);
        var countsBefore = Counts(state);

        var (updates, next) = c.Optimizer.Update(gradient, state, parameters);
        var (again, _) = c.Optimizer.Update(gradient, state, parameters);

        AssertSameBits(gradientBefore, gradient, $"{name}: the gradient");
        AssertSameBits(parametersBefore, parameters, $"{name}: the parameters");
        AssertSameBlocks(blocksBefore, Snapshot(state), $"{name}: the given state");
        Assert.Equal(countsBefore, Counts(state));
        Assert.NotSame(state, next);
        AssertSameBits(updates, again, $"{name}: a second call");
    }

    /// <summary>
    /// After every step, by either path: the same state type in every chain link, the same block names and lengths,
    /// and every count (the chain's and each link's) one higher than before.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void State_structure_is_preserved_across_steps(string name)
    {
        var c = OptimizerCases.Named(name);
        int count = c.Size(23);
        var pure = c.Init(count);
        var owned = c.Init(count);
        var shape = Shape(pure);
        float[] theta = Fill.Uniform(count, 7), thetaInPlace = (float[])theta.Clone();
        for (int step = 1; step <= Steps; step++)
        {
            float[] gradient = Fill.Uniform(count, 70 + step);
            (_, pure) = c.Optimizer.Update(gradient, pure, theta);
            c.Optimizer.ApplyInPlace(thetaInPlace, gradient, owned);
            foreach (var state in new[] { pure, owned })
            {
                Assert.Equal(shape, Shape(state));
                Assert.All(Counts(state), n => Assert.Equal(step, n));
                Assert.Equal(count, state.ParameterCount);
            }
        }
    }

    /// <summary>A copy shares no numbers: advancing it in place leaves the original's blocks and count alone, and the other way round.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void Copy_is_deep(string name)
    {
        var c = OptimizerCases.Named(name);
        int count = c.Size(29);
        var original = c.Init(count);
        float[] theta = Fill.Uniform(count, 8);
        c.Optimizer.ApplyInPlace(theta, Fill.Uniform(count, 80), original);
        var before = Snapshot(original);

        var copy = original.Copy();
        AssertSameBlocks(before, Snapshot(copy), $"{name}: a fresh copy");
        c.Optimizer.ApplyInPlace((float[])theta.Clone(), Fill.Uniform(count, 81), copy);

        AssertSameBlocks(before, Snapshot(original), $"{name}: the original after its copy stepped");
        Assert.All(Counts(original), n => Assert.Equal(1, n));
        Assert.All(Counts(copy), n => Assert.Equal(2, n));
        var copyAfter = Snapshot(copy);
        c.Optimizer.ApplyInPlace(theta, Fill.Uniform(count, 82), original);
        AssertSameBlocks(copyAfter, Snapshot(copy), $"{name}: the copy after the original stepped");
    }

    /// <summary>The state's type per link (a lone transformation is a chain of one here) and its blocks' names and lengths.</summary>
    private static string Shape(OptimizerState state) =>
        string.Join("; ", Links(state).Select(s => s.GetType().Name)) + " | " +
        string.Join("; ", state.Blocks.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}[{b.Value.Length}]"));

    private static IEnumerable<OptimizerState> Links(OptimizerState state) => state is ChainState chain ? chain.Links : [state];

    /// <summary>The chain's count and each link's.</summary>
    private static long[] Counts(OptimizerState state) => [state.StepCount, .. Links(state).Select(s => s.StepCount)];

    internal static Dictionary<string, float[]> Snapshot(OptimizerState state) => state.Blocks.ToDictionary(b => b.Key, b => b.Value.ToArray());

    private static void AssertSameBlocks(OptimizerState expected, OptimizerState actual, string what) => AssertSameBlocks(Snapshot(expected), Snapshot(actual), what);

    internal static void AssertSameBlocks(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, block) in expected) AssertSameBits(block, actual[name], $"{what}: the state's {name}");
    }

    internal static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what} differs first at [{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }
}
