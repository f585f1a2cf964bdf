// The training fold's contract: pure at its boundary, reproducible bit for bit, allocation-free per step.
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Integration.Tests;

public sealed class FoldTests
{
    private static readonly Dataset Data = TestData.Random(200, TinyMlp.InputCount, TinyMlp.ClassCount, seed: 11);

    private static TrainState<TinyMlp> Start(int seed = 5) => TrainState.Of(TinyMlp.Init(seed), Sgd.Momentum(0.05f, 0.9f));

    private static float[] Velocity<T>(TrainState<T> state) where T : class, INetwork<T> => state.OptimizerState.Find<VelocityState>()!.Velocity.ToArray();

    [Fact]
    public void A_step_leaves_its_input_state_unchanged()
    {
        var state = Data.Batches(32, seed: 1).Fold(Start(), TinyMlp.Step); // non-zero velocity to start from
        var parameters = state.Model.Parameters.ToArray();
        var velocity = Velocity(state);
        var batch = Data.Batches(16, seed: 2).First();

        var next = TinyMlp.Step.Invoke(state, batch);

        Assert.Equal(parameters, state.Model.Parameters.ToArray());
        Assert.Equal(velocity, Velocity(state));
        Assert.Equal(state.StepCount + 1, next.StepCount);
        Assert.NotEqual(parameters, next.Model.Parameters.ToArray());
        Assert.NotEqual(velocity, Velocity(next));
    }

    [Fact]
    public void A_fold_leaves_its_input_state_unchanged_and_shares_no_buffers_with_it()
    {
        var start = Start();
        var before = start.Model.Parameters.ToArray();
        var result = Data.Batches(10, seed: 3).Fold(start, TinyMlp.Step);
        Assert.Equal(before, start.Model.Parameters.ToArray());
        Assert.All(Velocity(start), v => Assert.Equal(0f, v));
        Assert.False(start.Model.Hidden1.SharesBlockWith(result.Model.Hidden1));
        Assert.Equal(20, result.StepCount);
    }

    [Fact]
    public void Two_folds_from_the_same_seed_agree_bit_for_bit()
    {
        var a = Data.Batches(16, seed: 4).Fold(Start(), TinyMlp.Step.WithL2(0.01f));
        var b = Data.Batches(16, seed: 4).Fold(Start(), TinyMlp.Step.WithL2(0.01f));
        Assert.Equal(a.Model.Parameters.ToArray(), b.Model.Parameters.ToArray());
        Assert.Equal(Velocity(a), Velocity(b));
        // …and a different batch order gives a different model, so the equality above means something.
        var c = Data.Batches(16, seed: 5).Fold(Start(), TinyMlp.Step.WithL2(0.01f));
        Assert.NotEqual(a.Model.Parameters.ToArray(), c.Model.Parameters.ToArray());
    }

    [Fact]
    public void A_fold_equals_the_same_pure_steps_taken_one_by_one()
    {
        var batches = Data.Batches(16, seed: 6).ToList();
        var folded = batches.Fold(Start(), TinyMlp.Step);
        var stepped = batches.Aggregate(Start(), TinyMlp.Step.Invoke);
        Assert.Equal(folded.Model.Parameters.ToArray(), stepped.Model.Parameters.ToArray());
        Assert.Equal(Velocity(folded), Velocity(stepped));
    }

    [Fact]
    public void Optax_style_update_applied_by_hand_equals_the_fused_step()
    {
        var state = Start();
        var batch = Data.Batches(32, seed: 7).First();
        var gradient = new float[TinyMlp.ParameterCount];
        TinyMlp.ComputeGradient(state.Model.Parameters.Span, batch, 0f, gradient, new TinyMlp.Workspace(32));
        var (updates, optimizerState) = state.Optimizer.Update(gradient, state.OptimizerState, state.Model.Parameters.Span);
        var expected = state.Model.Parameters.ToArray().Zip(updates, (p, u) => p + u).ToArray();

        var next = TinyMlp.Step.Invoke(state, batch);

        Assert.Equal(expected, next.Model.Parameters.ToArray());
        Assert.Equal(optimizerState.Find<VelocityState>()!.Velocity.ToArray(), Velocity(next));
    }

    /// <summary>Bytes allocated on this thread by 100 steps after the 10th: the least of three such windows (see <see cref="Functional.Tests.AllocationWindows"/>).</summary>
    private sealed class AllocationProbe : IStepObserver
    {
        public const int Window = 100, Windows = 3, Warmup = 10, StepsNeeded = Warmup + Windows * Window;
        private readonly Functional.Tests.AllocationWindows windows = new();

        /// <summary>−1 until the first window has closed.</summary>
        public long Allocated => windows.Least;

        public int LayerStatisticsEvery { get; init; }

        public Verdict OnStep(in StepReport report)
        {
            if (report.Step < Warmup || (report.Step - Warmup) % Window != 0) return Verdict.Continue;
            if (report.Step > Warmup) windows.Close();
            windows.Open();
            return Verdict.Continue;
        }
    }

    [Fact]
    public void Steady_state_steps_allocate_nothing()
    {
        var data = TestData.Random(64 * AllocationProbe.StepsNeeded, TinyMlp.InputCount, TinyMlp.ClassCount, seed: 12);
        var probe = new AllocationProbe();
        data.Batches(64, seed: 1).Fold(Start(), TinyMlp.Step.WithL2(1e-3f), probe);
        Assert.Equal(0, probe.Allocated);
    }

    private static long AllocatedBySteadySteps<TNet>(Optimizers.Optimizer optimizer) where TNet : class, INetwork<TNet>
    {
        var data = TestData.Random(64 * AllocationProbe.StepsNeeded, TNet.InputCount, TNet.ClassCount, seed: 12);
        var probe = new AllocationProbe();
        data.Batches(64, seed: 1).Fold(TrainState.Of(TNet.Init(1), optimizer), new TrainStep<TNet>(L2: 1e-3f, Seed: 3), probe);
        return probe.Allocated;
    }

    [Fact]
    public void Steady_state_steps_allocate_nothing_with_dropout_batch_norm_and_every_optimizer_path()
    {
        Assert.Equal(0, AllocatedBySteadySteps<ReluDrop>(Optimizers.Sgd.Momentum(0.01f, 0.9f)));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Sgd.Momentum(0.01f, 0.9f)));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Sgd.Momentum(0.01f, 0.9f) with { Fuse = false }));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Sgd.Plain(0.01f)));
        // Every rule, a masked decay, a schedule, a plateau, and a clipped chain (which needs the whole gradient: unfused).
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Optimizer.Adam(1e-3f, weightDecay: 1e-4f)));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Optimizer.AdamW(1e-3f, decayMask: Optimizers.TensorKinds.Weights)
            .WithSchedule(Optimizers.Schedule.Cosine(1e-3f, AllocationProbe.StepsNeeded).WithWarmup(10))));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Optimizer.RmsProp(1e-3f, momentum: 0.9f, centered: true)));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Optimizer.AdaGrad(0.01f, lrDecay: 0.01f)));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Sgd.Nesterov(0.01f)));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Optimizer.Chain(Optimizers.Optimizer.Adam(), new Optimizers.ReduceOnPlateau())));
        Assert.Equal(0, AllocatedBySteadySteps<ReluBnDrop>(Optimizers.Optimizer.Chain(new Optimizers.ClipByGlobalNorm(1f), Optimizers.Optimizer.Adam())));
    }

    [Fact]
    public void Steady_state_convolution_steps_allocate_nothing()
    {
        // Pooling with indices, a kept z (GELU), dropout masks, fused and unfused optimizers; the convolution's per-thread scratch grows once, in the warm-up.
        Assert.Equal(0, AllocatedBySteadySteps<CnnMaxPool>(Optimizers.Sgd.Momentum(0.01f, 0.9f)));
        Assert.Equal(0, AllocatedBySteadySteps<CnnDropout>(Optimizers.Sgd.Momentum(0.01f, 0.9f)));
        Assert.Equal(0, AllocatedBySteadySteps<CnnDropout>(Optimizers.Sgd.Momentum(0.01f, 0.9f) with { Fuse = false }));
        Assert.Equal(0, AllocatedBySteadySteps<CnnStridePadding>(Optimizers.Optimizer.Adam(1e-3f)));
        Assert.Equal(0, AllocatedBySteadySteps<CnnBatchNorm>(Optimizers.Sgd.Momentum(0.01f, 0.9f)));
        Assert.Equal(0, AllocatedBySteadySteps<CnnBatchNormDropout>(Optimizers.Sgd.Momentum(0.01f, 0.9f) with { Fuse = false }));
    }

    [Fact]
    public void Steps_with_layer_statistics_allocate_nothing_either()
    {
        var data = TestData.Random(64 * AllocationProbe.StepsNeeded, ReluBnDrop.InputCount, ReluBnDrop.ClassCount, seed: 12);
        var probe = new AllocationProbe { LayerStatisticsEvery = 5 };
        data.Batches(64, seed: 1).Fold(TrainState.Of(ReluBnDrop.Init(1), Optimizers.Sgd.Momentum(0.01f, 0.9f)), new TrainStep<ReluBnDrop>(Seed: 3), probe);
        Assert.Equal(0, probe.Allocated);
    }

    [Fact]
    public void Layers_that_are_not_views_of_one_block_are_refused()
    {
        var a = TinyMlp.Init(1);
        var b = TinyMlp.Init(2);
        var mixed = a with { Scores = b.Scores };
        var error = Assert.Throws<InvalidOperationException>(() => mixed.Parameters);
        Assert.Contains("TinyMlp", error.Message);
        Assert.Throws<ArgumentException>(() => TinyMlp.FromParameters(new float[TinyMlp.ParameterCount - 1]));
    }

    [Fact]
    public void A_batch_of_the_wrong_width_is_refused_with_both_widths_named()
    {
        var wrong = TestData.Random(8, 7, 3, seed: 1);
        var error = Assert.Throws<ArgumentException>(() => wrong.Batches(4, 1).Fold(Start(), TinyMlp.Step));
        Assert.Contains("6", error.Message);
        Assert.Contains("7", error.Message);
    }

    [Fact]
    public void Init_is_seeded()
    {
        Assert.Equal(TinyMlp.Init(3).Parameters.ToArray(), TinyMlp.Init(3).Parameters.ToArray());
        Assert.NotEqual(TinyMlp.Init(3).Parameters.ToArray(), TinyMlp.Init(4).Parameters.ToArray());
    }
}
