// The training run behind the command line: load, split, fold epoch by epoch with checkpoints, early stopping and Ctrl-C, report, save.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Functional;
using Functional.Data;
using Functional.Monitoring;
using Functional.Optimizers;
using Functional.Persistence;
using Functional.Training;

namespace FashionExample;

internal static class Run
{
    public sealed record Options(int Epochs, int Batch, OptimizerChoice Optimizer, float L2, int Seed, string? DataDirectory, FileInfo? MetricsFile,
        Functional.Dsl.Init? Init = null, string Variant = "relu",
        DirectoryInfo? CheckpointDirectory = null, bool Resume = false, int EarlyStop = 0, FileInfo? SaveFile = null, DirectoryInfo? PlotsDirectory = null, FileInfo? OnnxFile = null);

    public static int Fail(string message, int code = ExitCode.Usage)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>The checkpoint a run with <c>--checkpoint DIR</c> keeps, rewritten atomically after every epoch and on Ctrl-C.</summary>
    public static string CheckpointPath(DirectoryInfo directory) => Path.Combine(directory.FullName, "last" + ModelFile.Extension);

    /// <summary>The train verb: its whole run, for the chosen variant.</summary>
    public sealed class Training(Options o) : IVariantAction
    {
        public int Run<TNet>() where TNet : class, INetwork<TNet> => Train<TNet>(o);
    }

    private static int Train<TNet>(Options o) where TNet : class, INetwork<TNet>
    {
        var loaded = FashionMnist.Load(o.DataDirectory);
        if (loaded.IsFail) return Fail(loaded.Match(_ => "", e => e.Message));
        var fashion = loaded.ThrowIfFail();
        Console.WriteLine($"data: {fashion.Source}");

        // Hold out a validation set from the training data (5,000 of 60,000; proportionally fewer for the subset).
        var (rawTrain, rawValidation) = fashion.Train.Split(Math.Min(5000, fashion.Train.Count / 12), o.Seed);
        // Zero-centre and scale by statistics of the training part only, then apply the same transform everywhere.
        var (standardize, train) = Preprocess.Standardize(Granularity.Scalar).FitTransform(rawTrain);
        var (validation, test) = (standardize.Apply(rawValidation), standardize.Apply(fashion.Test));
        Console.WriteLine($"train {train.Count:N0}, validation {validation.Count:N0}, test {fashion.Test.Count:N0}; " +
                          $"{typeof(TNet).Name} ({o.Variant}), {TNet.ParameterCount:N0} parameters, init {(o.Init?.ToString() ?? "as declared")}; batch {o.Batch}, {o.Optimizer.Describe()}, lr {o.Optimizer.Rate} ({o.Optimizer.DescribeSchedule()}), L2 {o.L2}, seed {o.Seed}");

        var configuration = Configuration<TNet>(o, fashion.Source);
        var step = new TrainStep<TNet>().WithL2(o.L2).WithSeed(o.Seed);
        int batchesPerEpoch = (train.Count + o.Batch - 1) / o.Batch;
        // The schedule is a function of the step over the whole run, so the optimizer is built once.
        var optimizer = o.Optimizer.Build(o.Epochs, batchesPerEpoch);

        var hyperparameters = Variants.Hyperparameters<TNet>(o.Variant);
        var state = TrainState.Of(TNet.Init(o.Seed, o.Init, hyperparameters: hyperparameters), optimizer);
        var progress = new TrainingProgress(Epoch: 1, BatchesDone: 0, StepCount: 0);
        if (o.Resume)
        {
            var resumed = Resume<TNet>(o, optimizer, configuration);
            if (resumed.IsFail) return Fail(resumed.Match(_ => "", e => e.Message));
            (state, progress) = resumed.Map(r => (r.State, r.Progress)).ThrowIfFail();
            Console.WriteLine($"resumed from {CheckpointPath(o.CheckpointDirectory!)}: epoch {progress.Epoch}, {progress.BatchesDone} of its batches done, step {progress.StepCount:N0}");
        }

        using var interrupt = new Interruption();
        var run = RunConfiguration.Of<TNet>() with
        {
            Variant = o.Variant, Dropout = hyperparameters.Layers.Max(l => l.Dropout), Init = o.Init?.ToString() ?? "as declared",
            Optimizer = o.Optimizer.Describe(), LearningRate = o.Optimizer.Rate, Schedule = o.Optimizer.DescribeSchedule(),
            L2 = o.L2, Batch = o.Batch, Epochs = o.Epochs, Seed = o.Seed, Data = fashion.Source,
        };
        // The recorder keeps the run's figures (the pictures need all of them; the metrics file is written from its epoch
        // records as the run goes, appended to on a resume).
        var recorder = o.PlotsDirectory is null && o.MetricsFile is null ? null : RunRecorder.For<TNet>(o.Epochs, batchesPerEpoch);
        using var metrics = o.MetricsFile is null ? null : new MetricsWriter(o.MetricsFile.FullName, run, append: o.Resume);
        var sample = validation.Features[..(Math.Min(500, validation.Count) * validation.FeatureCount)].ToArray();
        recorder?.AddActivations(progress.Epoch - 1, ActivationStatistics.Measure(state.Model, sample, sample.Length / validation.FeatureCount));
        var watchers = new IStepObserver?[] { interrupt, recorder, metrics }.OfType<IStepObserver>().ToArray();
        var best = (Loss: double.PositiveInfinity, Epoch: 0, State: state);
        for (int epoch = progress.Epoch; epoch <= o.Epochs; epoch++)
        {
            // The rate the epoch starts with (a schedule moves it every step; a plateau cut shows here).
            float rate = state.LearningRate ?? float.NaN;
            int skip = epoch == progress.Epoch ? progress.BatchesDone : 0;
            // A resumed epoch's figures continue from the sums its checkpoint kept, so they cover every batch.
            var soFar = skip > 0 ? progress.SoFar : null;
            recorder?.BeginEpoch(epoch, rate, soFar);
            metrics?.BeginEpoch(epoch, rate);
            var clock = Stopwatch.StartNew();
            var bar = new EpochProgress(epoch, o.Epochs, batchesPerEpoch, skip, soFar);
            TrainState<TNet> next;
            try
            {
                // The same seed gives the same batch order; a resumed epoch skips the batches already done.
                next = train.Batches(o.Batch, seed: o.Seed * 1_000_003 + epoch).Skip(skip).Fold(state, step, Observers.All([bar, .. watchers]));
            }
            catch (TrainingDivergedException e)
            {
                bar.Abandon();
                string kept = o.CheckpointDirectory is null ? "(With --checkpoint DIR the last good epoch would be kept.)"
                    : $"The last good epoch is in {CheckpointPath(o.CheckpointDirectory)}.";
                return Fail($"epoch {epoch}: {e.Message} {kept}", ExitCode.CheckFailed);
            }
            if (interrupt.Requested)
            {
                bar.Abandon();
                int done = skip + (int)(next.StepCount - state.StepCount);
                return Interrupted(o, next, standardize, new TrainingProgress(epoch, done, next.StepCount, bar.SoFar), configuration);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var held = Evaluate.On(next.Model, validation);
            // Reduce-on-plateau reads the validation loss here, as Keras's callback and PyTorch's scheduler.step(loss) do.
            state = next.Observe(held.Loss);
            if (recorder?.EndEpoch(held.Loss, held.Accuracy, seconds) is { } record) metrics?.WriteEpoch(record);
            if (epoch == 1 || epoch == o.Epochs) recorder?.AddActivations(epoch, ActivationStatistics.Measure(state.Model, sample, sample.Length / validation.FeatureCount));
            bar.Finish($"loss {bar.MeanLoss:F4}  train acc {bar.Accuracy:P2}  val loss {held.Loss:F4}  val acc {held.Accuracy:P2}  {seconds:F2}s");
            if (o.CheckpointDirectory is not null)
                Checkpoint.Save(CheckpointPath(o.CheckpointDirectory), state, standardize, new TrainingProgress(epoch + 1, 0, state.StepCount), configuration)
                    .IfFail(e => Console.Error.WriteLine($"warning: checkpoint not written: {e.Message}"));
            if (held.Loss < best.Loss) best = (held.Loss, epoch, state);
            else if (o.EarlyStop > 0 && epoch - best.Epoch >= o.EarlyStop)
            {
                Console.WriteLine($"early stop: validation loss has not improved for {o.EarlyStop} epochs; keeping epoch {best.Epoch}'s model (val loss {best.Loss:F4})");
                break;
            }
        }
        if (o.EarlyStop > 0 && best.Epoch > 0) state = best.State;

        var tested = Evaluate.On(state.Model, test);
        Console.WriteLine($"test accuracy {tested.Accuracy:P2} (loss {tested.Loss:F4}) on {tested.Count:N0} images");
        if (o.SaveFile is not null)
        {
            var saved = ModelFile.Save(o.SaveFile.FullName, state.Model, standardize);
            if (saved.IsFail) return Fail(saved.Match(_ => "", e => e.Message), ExitCode.CheckFailed);
            Console.WriteLine($"model: {o.SaveFile.FullName} (predict with: -- predict --model {o.SaveFile.FullName})");
        }
        if (o.OnnxFile is not null)
        {
            var exported = Functional.Export.Onnx.Save(o.OnnxFile.FullName, state.Model, standardize);
            if (exported.IsFail) return Fail(exported.Match(_ => "", e => e.Message), ExitCode.CheckFailed);
            Console.WriteLine($"onnx: {o.OnnxFile.FullName} (input \"{Functional.Export.Onnx.InputName}\": raw pixels [N, 784]; output \"{Functional.Export.Onnx.ProbabilitiesName}\")");
        }
        metrics?.WriteTest(tested.Loss, tested.Accuracy, tested.Count);
        if (o.MetricsFile is not null) Console.WriteLine($"metrics: {o.MetricsFile.FullName}");
        // The recorder also runs for --metrics alone (the metrics file is written from its epochs); only --plots has a report.
        if (recorder is not null && o.PlotsDirectory is not null)
            Console.WriteLine($"report: {RunReport.Write(o.PlotsDirectory.FullName, recorder, run, [new("test accuracy", $"{tested.Accuracy:P2}"), new("test loss", $"{tested.Loss:F4}")])}");
        return ExitCode.Ok;
    }

    /// <summary>What a run was asked to do, in its checkpoints (and metrics) so a resume can check it continues the same run.</summary>
    private static JsonObject Configuration<TNet>(Options o, string source) where TNet : class, INetwork<TNet> => new()
    {
        ["network"] = typeof(TNet).Name,
        ["variant"] = o.Variant,
        ["init"] = o.Init?.ToString() ?? "as declared",
        ["epochs"] = o.Epochs,
        ["batch"] = o.Batch,
        ["optimizer"] = o.Optimizer.Configuration(),
        ["l2"] = o.L2,
        ["seed"] = o.Seed,
        ["parameters"] = TNet.ParameterCount,
        ["data"] = source,
    };

    /// <summary>The checkpoint of the same run: everything but the number of epochs must agree, or the "resumed" run would be another one.</summary>
    private static LanguageExt.Fin<Resumed<TNet>> Resume<TNet>(Options o, Optimizer optimizer, JsonObject configuration) where TNet : class, INetwork<TNet>
    {
        string path = CheckpointPath(o.CheckpointDirectory!);
        return Checkpoint.Load<TNet>(path, optimizer).Bind(r =>
        {
            var differences = configuration.Where(p => p.Key != "epochs" && !JsonNode.DeepEquals(p.Value, r.Configuration[p.Key]))
                .Select(p => $"{p.Key} {r.Configuration[p.Key]?.ToJsonString() ?? "unset"} in the checkpoint, {p.Value?.ToJsonString()} now").ToList();
            return differences.Count == 0
                ? LanguageExt.Fin<Resumed<TNet>>.Succ(r)
                : LanguageExt.Common.Error.New($"{path} is another run: {string.Join("; ", differences)} (change the options back, or use another --checkpoint directory)");
        });
    }

    private static int Interrupted<TNet>(Options o, TrainState<TNet> state, FittedPipeline pipeline, TrainingProgress progress, JsonObject configuration)
        where TNet : class, INetwork<TNet>
    {
        Console.Error.WriteLine($"interrupted in epoch {progress.Epoch} after {progress.BatchesDone} of its batches (step {progress.StepCount:N0})");
        if (o.CheckpointDirectory is null)
        {
            Console.Error.WriteLine("no checkpoint written (run with --checkpoint DIR to be able to resume)");
            return ExitCode.Interrupted;
        }
        var saved = Checkpoint.Save(CheckpointPath(o.CheckpointDirectory), state, pipeline, progress, configuration);
        if (saved.IsFail) Console.Error.WriteLine($"error: checkpoint not written: {saved.Match(_ => "", e => e.Message)}");
        else Console.Error.WriteLine($"checkpoint: {CheckpointPath(o.CheckpointDirectory)}; resume with the same options and --checkpoint {o.CheckpointDirectory.FullName} --resume");
        return ExitCode.Interrupted;
    }
}

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM asks the fold to stop after its current step, so the run can be checkpointed; a second
/// Ctrl-C ends the process at once.
/// </summary>
internal sealed class Interruption : IStepObserver, IDisposable
{
    private readonly System.Runtime.InteropServices.PosixSignalRegistration terminate;
    private volatile bool requested;

    public Interruption()
    {
        Console.CancelKeyPress += OnCancel;
        terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            requested = true;
        });
    }

    public bool Requested => requested;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        // The first press stops training cleanly; a second one is the user insisting.
        e.Cancel = !requested;
        requested = true;
    }

    public Verdict OnStep(in StepReport report) => requested ? Verdict.Stop : Verdict.Continue;

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        terminate.Dispose();
    }
}
