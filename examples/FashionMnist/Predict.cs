// The predict verb: loads a saved model (any variant) and prints class, name and probabilities for test images or CSV rows.
using System.CommandLine;
using System.Numerics.Tensors;
using Functional;
using Functional.Data;
using Functional.Persistence;

namespace FashionExample;

internal static class Predict
{
    public static Command Command()
    {
        var model = new Option<FileInfo>("--model") { Description = "A model saved by train --save (or a checkpoint)", Required = true };
        var first = new Option<int>("--index") { Description = "First test image to classify", DefaultValueFactory = _ => 0 };
        Cli.Require(first, v => v >= 0, "≥ 0");
        var count = new Option<int>("--count") { Description = "How many images or rows to classify", DefaultValueFactory = _ => 5 };
        Cli.Require(count, v => v > 0, "a positive whole number");
        var csv = new Option<FileInfo?>("--csv") { Description = "Classify rows of this CSV instead: label (0–9) first, then 784 pixel values in [0, 1]" };
        var data = new Option<string?>("--data") { Description = "Directory with the Fashion-MNIST files (as for train)" };
        var command = new Command("predict", "Classify Fashion-MNIST test images, or rows of a CSV, with a saved model: class, name and probabilities.")
        {
            model, first, count, csv, data,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(first), parse.GetValue(count), parse.GetValue(csv), parse.GetValue(data)));
        return command;
    }

    private static int Run(FileInfo model, int first, int count, FileInfo? csv, string? dataDirectory)
    {
        // The file names the record it was saved from; that picks the type to load it as.
        var name = ModelFile.NetworkName(model.FullName);
        if (name.IsFail) return FashionExample.Run.Fail(name.Match(_ => "", e => e.Message), ExitCode.CheckFailed);
        var variant = Variants.Named(name.ThrowIfFail());
        if (variant is null)
            return FashionExample.Run.Fail($"{model.FullName} holds a {name.ThrowIfFail()}, which is none of this program's networks", ExitCode.CheckFailed);

        var rows = csv is null ? TestImages(dataDirectory, first, count) : Csv.Read(csv.FullName, new CsvLayout(ClassCount: 10));
        if (rows.IsFail) return FashionExample.Run.Fail(rows.Match(_ => "", e => e.Message), ExitCode.CheckFailed);
        return variant.Apply(new Action(model.FullName, rows.ThrowIfFail(), csv is null ? first : 0, count));
    }

    private static LanguageExt.Fin<Dataset> TestImages(string? directory, int first, int count) =>
        FashionMnist.Load(directory).Bind(f => first >= f.Test.Count
            ? LanguageExt.Fin<Dataset>.Fail(LanguageExt.Common.Error.New($"--index {first} is beyond the {f.Test.Count:N0} test images"))
            : LanguageExt.Fin<Dataset>.Succ(f.Test.Subset([.. Enumerable.Range(first, Math.Min(count, f.Test.Count - first))], $"test images {first}…")));

    private sealed class Action(string path, Dataset rows, int numbering, int count) : IVariantAction
    {
        public int Run<TNet>() where TNet : class, INetwork<TNet>
        {
            var loaded = ModelFile.Load<TNet>(path);
            if (loaded.IsFail) return FashionExample.Run.Fail(loaded.Match(_ => "", e => e.Message), ExitCode.CheckFailed);
            var (model, pipeline) = loaded.ThrowIfFail();
            // The model's own fitted preprocessing, exactly as in training.
            var x = pipeline.Apply(rows);
            int n = Math.Min(count, x.Count);
            var workspace = TNet.CreateWorkspace(n);
            var scores = new float[n * TNet.ClassCount];
            TNet.Infer(model.Parameters.Span, model.Buffers.Span, x.Features[..(n * x.FeatureCount)], n, scores, workspace, model.Hyperparameters);
            Console.WriteLine($"{typeof(TNet).Name} from {path}; probabilities in class order {string.Join(", ", FashionMnist.ClassNames)}");
            for (int i = 0; i < n; i++)
            {
                var p = scores.AsSpan(i * TNet.ClassCount, TNet.ClassCount);
                TensorPrimitives.SoftMax(p, p);
                int predicted = TensorPrimitives.IndexOfMax<float>(p), label = x.Labels[i];
                Console.WriteLine($"#{numbering + i,-5} {(predicted == label ? "right" : "wrong")}  predicted {predicted} {FashionMnist.ClassNames[predicted],-11} " +
                                  $"(p {p[predicted]:P1}), true {label} {FashionMnist.ClassNames[label],-11}  [{string.Join(" ", p.ToArray().Select(v => v.ToString("F3")))}]");
            }
            return ExitCode.Ok;
        }
    }
}
