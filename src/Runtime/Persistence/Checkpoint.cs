// Saves and resumes a training run: a model file that also carries the optimizer's state and where in the run it stopped.
using System.Text;
using System.Text.Json.Nodes;
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace Functional.Persistence;

/// <summary>
/// Where a run stands: in epoch <see cref="Epoch"/> (1-based) with <see cref="BatchesDone"/> of its batches done (0 when
/// it is about to start), after <see cref="StepCount"/> steps in all. With the run's seed this is all its random numbers
/// depend on — batch order is drawn per epoch from the seed, dropout masks from the seed and the step — so resuming here
/// continues the same run bit for bit.
/// </summary>
/// <remarks><see cref="SoFar"/> holds the partly done epoch's training figures, so the resumed epoch reports all of its
/// batches, not only those after the resume (null when the epoch had not begun, or the saver did not keep them).</remarks>
public sealed record TrainingProgress(int Epoch, int BatchesDone, long StepCount, EpochTally? SoFar = null);

/// <summary>
/// The running sums behind an epoch's training loss and accuracy after some of its steps: Σ loss·n (what was minimised),
/// Σ data loss·n, the correct predictions, the samples seen, and the epoch's first step (−1 before any).
/// </summary>
public sealed record EpochTally(double LossSum, double DataLossSum, long Correct, long Seen, long FirstStep)
{
    /// <summary>Nothing seen yet.</summary>
    public static EpochTally Empty { get; } = new(0, 0, 0, 0, -1);
}

/// <summary>A resumed run: the state, the fitted preprocessing, the progress, and the configuration the run saved.</summary>
public sealed record Resumed<TNet>(TrainState<TNet> State, FittedPipeline Pipeline, TrainingProgress Progress, JsonObject Configuration)
    where TNet : class, INetwork<TNet>;

/// <summary>
/// Checkpoints are model files (<see cref="ModelFile.Load{TNet}"/> reads one as a plain model) with three ancillary
/// sections: "optm" (the optimizer's kind and its state's blocks, as JSON), "optf" (those blocks' floats) and "prog"
/// (progress and configuration, as JSON). Written atomically, refused when not finite, like every model file.
/// </summary>
public static class Checkpoint
{
    private const string OptimizerHead = "optm", OptimizerFloats = "optf", ProgressHead = "prog";

    /// <summary>Writes <paramref name="state"/>, its pipeline, progress and configuration to <paramref name="path"/> atomically.</summary>
    public static Fin<Unit> Save<TNet>(string path, TrainState<TNet> state, FittedPipeline pipeline, TrainingProgress progress, JsonObject? configuration = null)
        where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(progress);
        var blocks = new JsonObject();
        var floats = new List<float>();
        foreach (var (name, block) in state.OptimizerState.Blocks.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            if (Finite.IndexOfNonFinite(block.Span) is var bad and >= 0)
                return Error.New($"{path}: not saved: the optimizer's {name}[{bad:N0}] is {block.Span[bad]}; any previous file there is unchanged");
            blocks[name] = new JsonObject { ["offset"] = floats.Count, ["length"] = block.Length };
            floats.AddRange(block.Span);
        }
        var optimizer = new JsonObject { ["optimizer"] = state.Optimizer.Structure, ["state"] = state.OptimizerState.GetType().Name, ["blocks"] = blocks };
        var run = new JsonObject
        {
            ["epoch"] = progress.Epoch,
            ["batchesDone"] = progress.BatchesDone,
            ["step"] = progress.StepCount,
            ["soFar"] = progress.SoFar is { } t
                ? new JsonObject { ["lossSum"] = t.LossSum, ["dataLossSum"] = t.DataLossSum, ["correct"] = t.Correct, ["seen"] = t.Seen, ["firstStep"] = t.FirstStep }
                : null,
            ["configuration"] = configuration?.DeepClone() ?? new JsonObject(),
        };
        var contents = new ModelFile.ModelContents(TNet.Layout, state.Model.Parameters.ToArray(), state.Model.Buffers.ToArray(), pipeline)
        {
            Extras = new Dictionary<string, byte[]>
            {
                [OptimizerHead] = Encoding.UTF8.GetBytes(optimizer.ToJsonString()),
                [OptimizerFloats] = ModelFile.FloatBytes([.. floats]),
                [ProgressHead] = Encoding.UTF8.GetBytes(run.ToJsonString()),
            },
            Hyperparameters = state.Model.Hyperparameters,
        };
        return ModelFile.Write(path, contents);
    }

    /// <summary>
    /// Reads a checkpoint of <typeparamref name="TNet"/> to continue with <paramref name="optimizer"/> (whose
    /// hyperparameters are the caller's; its state comes from the file). Fails, naming the file, for anything a model
    /// load refuses, a plain model file without a run in it, and an optimizer of another kind than the one saved.
    /// </summary>
    public static Fin<Resumed<TNet>> Load<TNet>(string path, Optimizer optimizer) where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return ModelFile.Read(path, TNet.Layout, typeof(TNet).Name, TNet.Defaults).Bind(contents => Restore<TNet>(path, contents, optimizer));
    }

    private static Fin<Resumed<TNet>> Restore<TNet>(string path, ModelFile.ModelContents contents, Optimizer optimizer) where TNet : class, INetwork<TNet>
    {
        foreach (var tag in new[] { OptimizerHead, OptimizerFloats, ProgressHead })
            if (!contents.Extras.ContainsKey(tag))
                return Error.New($"{path}: a model file but not a checkpoint (no {tag} section): it holds no run to resume");
        return from head in ModelFile.ParseHead(contents.Extras[OptimizerHead], $"{path}: the optimizer section")
               from run in ModelFile.ParseHead(contents.Extras[ProgressHead], $"{path}: the progress section")
               from pool in ModelFile.FloatsAny(contents.Extras[OptimizerFloats], OptimizerFloats, path)
               from resumed in Rebuild<TNet>(path, contents, optimizer, head, run, pool)
               select resumed;
    }

    private static Fin<Resumed<TNet>> Rebuild<TNet>(string path, ModelFile.ModelContents contents, Optimizer optimizer, JsonObject head, JsonObject run, float[] pool)
        where TNet : class, INetwork<TNet>
    {
        try
        {
            string saved = ModelFile.Text(ModelFile.Field(head, "optimizer"), "the optimizer section's optimizer");
            if (saved != optimizer.Structure)
                return Error.New($"{path}: the run was saved with {saved}; resuming it with {optimizer.Structure} would start that optimizer's state from nothing (use the same optimizer)");
            var blocks = new Dictionary<string, float[]>();
            foreach (var (name, place) in head["blocks"] as JsonObject ?? [])
            {
                long offset = ModelFile.Whole(ModelFile.Field(place, "offset"), $"the optimizer's {name} block's offset");
                long length = ModelFile.Whole(ModelFile.Field(place, "length"), $"the optimizer's {name} block's length");
                if (offset < 0 || length < 0 || offset > pool.Length || length > pool.Length - offset)
                    return Error.New($"{path}: the optimizer's {name} block lies outside its section");
                blocks[name] = pool.AsSpan((int)offset, (int)length).ToArray();
            }
            var progress = new TrainingProgress(checked((int)Progress(run, "epoch")), checked((int)Progress(run, "batchesDone")), Progress(run, "step"), Tally(run["soFar"]));
            if (progress.Epoch < 1 || progress.BatchesDone < 0 || progress.StepCount < 0)
                return Error.New($"{path}: the progress (epoch {progress.Epoch}, {progress.BatchesDone} batches, step {progress.StepCount}) is not a place in a run");
            if (progress.SoFar is { } t && !(double.IsFinite(t.LossSum) && double.IsFinite(t.DataLossSum) && t.Correct >= 0 && t.Seen >= t.Correct && t.FirstStep >= -1))
                return Error.New($"{path}: the progress section's soFar ({t}) is not a partly done epoch's sums");
            var state = new TrainState<TNet>(TNet.FromParameters(contents.Parameters, contents.Buffers, contents.Hyperparameters), optimizer,
                optimizer.Restore(TNet.Layout, blocks, progress.StepCount), progress.StepCount);
            return new Resumed<TNet>(state, contents.Pipeline, progress, run["configuration"] as JsonObject ?? []);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return Error.New($"{path}: the checkpoint's run sections are malformed: {e.Message}");
        }
    }

    // Absent in checkpoints written before it was kept, and null when the epoch had not begun.
    private static EpochTally? Tally(JsonNode? node) => node is null ? null : new EpochTally(
        Real(ModelFile.Field(node, "lossSum"), "lossSum"), Real(ModelFile.Field(node, "dataLossSum"), "dataLossSum"),
        ModelFile.Whole(ModelFile.Field(node, "correct"), "the progress section's soFar.correct"),
        ModelFile.Whole(ModelFile.Field(node, "seen"), "the progress section's soFar.seen"),
        ModelFile.Whole(ModelFile.Field(node, "firstStep"), "the progress section's soFar.firstStep"));

    private static double Real(JsonNode? node, string key) =>
        node is JsonValue v && v.TryGetValue<double>(out var number) ? number : throw new FormatException($"the progress section's soFar.{key} should be a number");

    private static long Progress(JsonObject run, string key) => ModelFile.Whole(ModelFile.Field(run, key), $"the progress section's {key}");
}
