// Checkpoints continue a run bit for bit: 4 epochs straight equal 2, a checkpoint, a load and 2 more — with batch norm, dropout and momentum.
using Functional.Data;
using Functional.Optimizers;
using Functional.Persistence;
using Functional.Training;

namespace Functional.Integration.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("functional-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly Dataset Data = TestData.Random(200, 6, 3, seed: 8);
    private static readonly FittedPipeline Pipeline = Preprocess.None.Fit(Data);
    private static readonly TrainStep<ReluBnDrop> Step = new(L2: 1e-3f, Seed: 4);

    private static TrainState<ReluBnDrop> Epochs(TrainState<ReluBnDrop> state, int from, int to) =>
        Enumerable.Range(from, to - from + 1).Aggregate(state, (s, epoch) => Data.Batches(16, seed: epoch).Fold(s, Step));

    [Fact]
    public void Two_epochs_a_checkpoint_and_two_more_equal_four_straight()
    {
        var start = TrainState.Of(ReluBnDrop.Init(seed: 2), Sgd.Momentum(0.05f, 0.9f));
        var straight = Epochs(start, 1, 4);

        string path = Path.Combine(dir, "run.fnm");
        var half = Epochs(start, 1, 2);
        Checkpoint.Save(path, half, Pipeline, new TrainingProgress(Epoch: 3, BatchesDone: 0, half.StepCount), new() { ["seed"] = 4 }).ThrowIfFail();
        var resumed = Checkpoint.Load<ReluBnDrop>(path, Sgd.Momentum(0.05f, 0.9f)).ThrowIfFail();
        var continued = Epochs(resumed.State, resumed.Progress.Epoch, 4);

        Assert.Equal(new TrainingProgress(3, 0, half.StepCount), resumed.Progress);
        Assert.Equal(4, (int)resumed.Configuration["seed"]!);
        Assert.Equal(straight.StepCount, continued.StepCount);
        Assert.Equal(straight.Model.Parameters.ToArray(), continued.Model.Parameters.ToArray());
        Assert.Equal(straight.Model.Buffers.ToArray(), continued.Model.Buffers.ToArray());
        Assert.Equal(straight.OptimizerState.Find<VelocityState>()!.Velocity.ToArray(), continued.OptimizerState.Find<VelocityState>()!.Velocity.ToArray());
        // …and the run really moved, so the equality means something.
        Assert.NotEqual(half.Model.Parameters.ToArray(), continued.Model.Parameters.ToArray());
    }

    [Fact]
    public void A_checkpoint_mid_epoch_resumes_at_the_next_batch()
    {
        var start = TrainState.Of(ReluBnDrop.Init(seed: 2), Sgd.Momentum(0.05f, 0.9f));
        var straight = Data.Batches(16, seed: 1).Fold(start, Step);

        string path = Path.Combine(dir, "mid.fnm");
        var part = Data.Batches(16, seed: 1).Take(5).Fold(start, Step);
        Checkpoint.Save(path, part, Pipeline, new TrainingProgress(1, 5, part.StepCount)).ThrowIfFail();
        var resumed = Checkpoint.Load<ReluBnDrop>(path, Sgd.Momentum(0.05f, 0.9f)).ThrowIfFail();
        var rest = Data.Batches(16, seed: 1).Skip(resumed.Progress.BatchesDone).Fold(resumed.State, Step);

        Assert.Equal(straight.Model.Parameters.ToArray(), rest.Model.Parameters.ToArray());
    }

    [Fact]
    public void A_mid_epoch_checkpoint_keeps_the_epochs_sums_exactly_and_an_older_one_has_none()
    {
        var state = TrainState.Of(ReluBnDrop.Init(seed: 2), Sgd.Momentum(0.05f, 0.9f));
        // Sums with digits a decimal round trip could lose.
        var soFar = new EpochTally(LossSum: 1.0 / 3 * 417, DataLossSum: Math.PI * 100, Correct: 301, Seen: 416, FirstStep: 7);
        string path = Path.Combine(dir, "sums.fnm");
        Checkpoint.Save(path, state, Pipeline, new TrainingProgress(2, 13, 20, soFar)).ThrowIfFail();
        Assert.Equal(soFar, Checkpoint.Load<ReluBnDrop>(path, Sgd.Momentum(0.05f, 0.9f)).ThrowIfFail().Progress.SoFar);

        Checkpoint.Save(path, state, Pipeline, new TrainingProgress(2, 0, 20)).ThrowIfFail();
        Assert.Null(Checkpoint.Load<ReluBnDrop>(path, Sgd.Momentum(0.05f, 0.9f)).ThrowIfFail().Progress.SoFar);

        // Sums that are no partly done epoch's are refused by name.
        Checkpoint.Save(path, state, Pipeline, new TrainingProgress(2, 13, 20, soFar with { Correct = 500 })).ThrowIfFail();
        var error = Checkpoint.Load<ReluBnDrop>(path, Sgd.Momentum(0.05f, 0.9f));
        Assert.Contains("soFar", error.Match(_ => "loaded", e => e.Message));
    }

    [Fact]
    public void A_checkpoint_is_a_model_file_but_a_model_file_is_not_a_checkpoint()
    {
        var state = TrainState.Of(ReluBnDrop.Init(seed: 2), Sgd.Momentum(0.05f, 0.9f));
        string checkpoint = Path.Combine(dir, "c.fnm"), model = Path.Combine(dir, "m.fnm");
        Checkpoint.Save(checkpoint, state, Pipeline, new TrainingProgress(1, 0, 0)).ThrowIfFail();
        ModelFile.Save(model, state.Model, Pipeline).ThrowIfFail();

        Assert.True(ModelFile.Load<ReluBnDrop>(checkpoint).IsSucc);
        var error = Checkpoint.Load<ReluBnDrop>(model, Sgd.Momentum(0.05f, 0.9f));
        Assert.Contains("a model file but not a checkpoint", error.Match(_ => "", e => e.Message));
        var wrongOptimizer = Checkpoint.Load<ReluBnDrop>(checkpoint, Sgd.Plain(0.05f));
        Assert.Contains("the run was saved with trace → scale_by_learning_rate; resuming it with scale_by_learning_rate", wrongOptimizer.Match(_ => "", e => e.Message));
    }
}
