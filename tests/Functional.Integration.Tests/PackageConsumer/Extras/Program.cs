// A user's program built against the packed Functional.Search and Functional.Monitoring packages only (PackageTests copies it).
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Monitoring;
using Functional.Optimizers;
using Functional.Search;
using Functional.Search.Storage;
using Functional.Training;

// Two noisy blobs in the plane, 400 points: easy enough to learn in a few epochs, hard enough that lr matters.
var random = new Random(7);
var inputs = new float[400, 2];
var labels = new int[400];
for (int i = 0; i < 400; i++)
{
    labels[i] = i % 2;
    float centre = labels[i] == 0 ? -1f : 1f;
    inputs[i, 0] = centre + (float)(random.NextDouble() * 2 - 1);
    inputs[i, 1] = -centre + (float)(random.NextDouble() * 2 - 1);
}
var data = Sources.FromMatrix("blobs", inputs, labels, classCount: 2).ThrowIfFail();

// A two-stage random search stored in SQLite (one file), as a user would start one.
string folder = Directory.CreateTempSubdirectory("functional-extras-").FullName;
var space = new SearchSpace(Dimension.LogUniform("lr", 1e-3, 1), Dimension.LogUniform("l2", 1e-6, 1e-2));
var definition = new StudyDefinition(space, [new Stage("coarse", 6, 1), new Stage("fine", 3, 2)], Seed: 1);
var trial = new NetworkTrial<Blobs>(data, Validation.HoldOut(100),
    (p, steps) => Sgd.Momentum((float)p.Real("lr"), 0.9f), p => (float)p.Real("l2"), Preprocess.Standardize(), Batch: 20);
StudyReport report;
using (var storage = new SqliteStudyStorage(Path.Combine(folder, "study.db")))
    report = Study.Run(storage, "blobs", definition, trial.Run, new StudyOptions { Workers = 2 });
Console.WriteLine($"trials recorded {report.Trials.Count}");
Console.WriteLine(FormattableString.Invariant($"best score {report.Best!.Score:F3}"));

// The best learning rate trained again, watched by a recorder, and written up as the one-file HTML report.
float lr = (float)report.Best.Parameters.Real("lr");
var split = data.Split(validationCount: 100, seed: 1);
var pipeline = Preprocess.Standardize().Fit(split.Train);
var (train, validation) = (pipeline.Apply(split.Train), pipeline.Apply(split.Validation));
const int epochs = 3;
var recorder = RunRecorder.For<Blobs>(epochs, batchesPerEpoch: (train.Count + 19) / 20, layerStatisticsEvery: 5);
var state = TrainState.Of(Blobs.Init(seed: 1), Sgd.Momentum(lr, 0.9f));
for (int epoch = 1; epoch <= epochs; epoch++)
{
    recorder.BeginEpoch(epoch, lr);
    state = train.Batches(size: 20, seed: epoch).Fold(state, Blobs.Step, recorder);
    var held = Evaluate.On(state.Model, validation);
    recorder.EndEpoch(held.Loss, held.Accuracy, seconds: 0);
}
var configuration = new RunConfiguration { Network = Blobs.Layout.Name, LearningRate = lr, Batch = 20, Epochs = epochs, Seed = 1 };
string html = RunReport.Write(Path.Combine(folder, "report"), recorder, configuration);
Console.WriteLine($"report written {File.Exists(html)} with {Directory.GetFiles(Path.GetDirectoryName(html)!, "*.png").Length} pictures");
Console.WriteLine(FormattableString.Invariant($"validation accuracy {Evaluate.On(state.Model, validation).Accuracy:F3}"));
Directory.Delete(folder, recursive: true);

[Network(Inputs = 2)]
public sealed partial record Blobs(
    [Dense(16), Relu] Dense Hidden,
    [Dense(2), SoftmaxCrossEntropy] Dense Scores);
