// Trains FashionMlp (or a variant, or a CNN) on Fashion-MNIST as a pipeline: data → split → batches → fold → evaluation; and predicts with a saved model.
using FashionExample;
using System.CommandLine;

var epochs = Cli.Require(new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 10 }, v => v > 0, "a positive whole number");
var batch = Cli.Require(new Option<int>("--batch") { Description = "Mini-batch size", DefaultValueFactory = _ => 64 }, v => v > 0, "a positive whole number");
var l2 = Cli.Require(new Option<float>("--l2") { Description = "L2 regularisation strength λ (adds ½λ‖W‖² to the loss)", DefaultValueFactory = _ => 0f }, v => v >= 0 && float.IsFinite(v), "a finite number ≥ 0");
var seed = new Option<int>("--seed") { Description = "Seed for initialisation, the validation split and batch order", DefaultValueFactory = _ => 1 };
var data = new Option<string?>("--data") { Description = "Directory with the four Fashion-MNIST .gz files (else $FASHION_MNIST_DIR, the Debian package, or the built-in subset)" };
var activation = new Option<string>("--activation") { Description = $"Hidden activation: {string.Join(", ", Variants.Activations)}", DefaultValueFactory = _ => "relu" };
activation.AcceptOnlyFromAmong(Variants.Activations);
var network = VerbData.NetworkOption();
var batchNorm = new Option<bool>("--batchnorm") { Description = "Batch normalization before each hidden activation" };
var dropout = new Option<bool>("--dropout") { Description = "Inverted dropout (p = 0.2) after each hidden activation, training only" };
var init = new Option<Functional.Dsl.Init?>("--init") { Description = "Weight initialisation for every layer: Xavier, He, XavierUniform, HeUniform, SmallRandom, Zeros (default: He for the ReLU family, Xavier otherwise)" };
var metrics = new Option<FileInfo?>("--metrics") { Description = "Write per-epoch metrics and the final test accuracy to this JSON file" };
var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Keep a checkpoint of the run in this directory (last.fnm: model, optimizer state, progress), after every epoch and on Ctrl-C" };
var resume = new Option<bool>("--resume") { Description = "Continue the run checkpointed in --checkpoint DIR, bit for bit as if it had not stopped" };
var earlyStop = Cli.Require(new Option<int>("--early-stop") { Description = "Stop after this many epochs without a lower validation loss, keeping the best model (0: off)" }, v => v >= 0, "0 (off) or a number of epochs");
var save = new Option<FileInfo?>("--save") { Description = "Save the trained model (with its preprocessing) to this .fnm file" };
var onnx = new Option<FileInfo?>("--onnx") { Description = "Export the trained model, with its standardisation in front, to this ONNX file (opset 13; outputs class probabilities)" };
var plots = new Option<DirectoryInfo?>("--plots") { Description = "Write the run's pictures and an HTML report to this directory" };

Option[] trainOptions = [epochs, batch, .. OptimizerChoice.Options, l2, seed, data, metrics, network, activation, batchNorm, dropout, init, checkpoint, resume, earlyStop, save, onnx, plots];

var train = new Command("train", "Train a network on Fashion-MNIST (the 784-256-128-10 MLP, or a CNN with --network) with mini-batch SGD or any other rule (the default verb).");
var root = new RootCommand("Train a network on Fashion-MNIST (the 784-256-128-10 MLP by default, or a CNN) with mini-batch SGD; check it the lecture's way; predict with a saved model. " + ExitCode.Help);
foreach (var command in new Command[] { root, train })
{
    foreach (var option in trainOptions) command.Options.Add(option);
    command.Validators.Add(r =>
    {
        if (r.GetValue(resume) && r.GetValue(checkpoint) is null) r.AddError("--resume needs --checkpoint DIR: the directory of the run to continue");
    });
    command.SetAction(parse =>
    {
        string chosen = parse.GetValue(activation)!, shape = parse.GetValue(network)!;
        bool bn = parse.GetValue(batchNorm), drop = parse.GetValue(dropout);
        // The CNNs are declared with ReLU (cnn-bn with batch norm): the MLP's structure options would be silently ignored.
        if (shape != "mlp" && (chosen != "relu" || bn))
            return Run.Fail($"--activation and --batchnorm choose among the MLPs; --network {shape} is declared with ReLU{(shape == "cnn-bn" ? " and batch norm" : "")} (try --network cnn-bn for batch norm)");
        if (Variants.Find(shape, chosen, bn || shape == "cnn-bn", drop) is not { } variant)
            return Run.Fail("--dropout chooses among the MLPs; --network cnn declares no dropout and cnn-bn declares its own (0.3 on the dense layer)");
        // Options that mean nothing for the chosen rule or schedule: a usage error before any data is loaded.
        var optimizer = OptimizerChoice.From(parse.CommandResult, Recipe.For(shape));
        if (optimizer.Problem() is { } problem) return Run.Fail(problem);
        return variant.Apply(new Run.Training(new Run.Options(
            parse.GetValue(epochs), parse.GetValue(batch), optimizer,
            parse.GetValue(l2), parse.GetValue(seed), parse.GetValue(data), parse.GetValue(metrics), parse.GetValue(init), variant.Label,
            parse.GetValue(checkpoint), parse.GetValue(resume), parse.GetValue(earlyStop), parse.GetValue(save), parse.GetValue(plots), parse.GetValue(onnx))));
    });
}
root.Subcommands.Add(train);
root.Subcommands.Add(Predict.Command());
root.Subcommands.Add(Sanity.Command());
root.Subcommands.Add(Overfit.Command());
root.Subcommands.Add(LrFind.Command());
root.Subcommands.Add(Search.Command());

return Cli.Invoke(root, args);
