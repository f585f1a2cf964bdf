// A brand-new user's program, built against the packed Functional package only (PackageTests copies it into a fresh console project).
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Optimizers;
using Functional.Persistence;
using Functional.Training;

float[,] inputs = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
int[] labels = [0, 1, 1, 0];
var xor = Sources.FromMatrix("xor", inputs, labels, classCount: 2).ThrowIfFail();
var pipeline = Preprocess.None.Fit(xor);

var trained = Enumerable.Range(1, 300).Aggregate(
    TrainState.Of(Xor.Init(seed: 1), Sgd.Momentum(lr: 0.1f, mu: 0.9f)),
    (state, epoch) => xor.Batches(size: 4, seed: epoch).Fold(state, Xor.Step));

string path = Path.Combine(Path.GetTempPath(), $"xor-{Environment.ProcessId}.model");
ModelFile.Save(path, trained.Model, pipeline).ThrowIfFail();
var (loaded, _) = ModelFile.Load<Xor>(path).ThrowIfFail();
File.Delete(path);

string Predictions(Xor model) =>
    string.Join(" ", Enumerable.Range(0, 4).Select(i => Xor.Predict(model, [inputs[i, 0], inputs[i, 1]])));

Console.WriteLine(FormattableString.Invariant($"accuracy {100 * Xor.Accuracy(trained.Model, xor):F1}%"));
Console.WriteLine($"predictions {Predictions(trained.Model)}");
Console.WriteLine($"loaded predictions {Predictions(loaded)}");
Console.WriteLine($"loaded parameters identical {trained.Model.Parameters.ToArray().SequenceEqual(loaded.Parameters.ToArray())}");

[Network(Inputs = 2)]
public sealed partial record Xor(
    [Dense(8), Tanh] Dense Hidden,
    [Dense(2), SoftmaxCrossEntropy] Dense Scores);
