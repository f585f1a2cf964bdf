// Trains FashionMlp on Fashion-MNIST as a pipeline: data → split → batches → fold → evaluation.
using FashionExample;
using Functional.Training;
using System.CommandLine;
using System.Diagnostics;

var epochs = new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 10 };
var batch = new Option<int>("--batch") { Description = "Mini-batch size", DefaultValueFactory = _ => 64 };
var lr = new Option<float>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.01f };
var momentum = new Option<float>("--momentum") { Description = "Momentum μ (0 for plain SGD)", DefaultValueFactory = _ => 0.9f };
var l2 = new Option<float>("--l2") { Description = "L2 regularisation strength λ (adds ½λ‖W‖² to the loss)", DefaultValueFactory = _ => 0f };
var seed = new Option<int>("--seed") { Description = "Seed for initialisation, the validation split and batch order", DefaultValueFactory = _ => 1 };
var data = new Option<string?>("--data") { Description = "Directory with the four Fashion-MNIST .gz files (else $FASHION_MNIST_DIR, the Debian package, or the built-in subset)" };
var activation = new Option<string>("--activation") { Description = $"Hidden activation: {string.Join(", ", Variants.Activations)}", DefaultValueFactory = _ => "relu" };
var batchNorm = new Option<bool>("--batchnorm") { Description = "Batch normalization before each hidden activation" };
var dropout = new Option<bool>("--dropout") { Description = "Inverted dropout (p = 0.2) after each hidden activation, training only" };
var init = new Option<Functional.Dsl.Init?>("--init") { Description = "Weight initialisation for every layer: Xavier, He, XavierUniform, HeUniform, SmallRandom, Zeros (default: He for the ReLU family, Xavier otherwise)" };
var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule over the epochs: constant or cosine", DefaultValueFactory = _ => "constant" };
schedule.AcceptOnlyFromAmong("constant", "cosine");
var metrics = new Option<FileInfo?>("--metrics") { Description = "Write per-epoch metrics and the final test accuracy to this JSON file" };

var root = new RootCommand("Train a 784-256-128-10 network on Fashion-MNIST with mini-batch SGD (ReLU by default).")
{
    epochs, batch, lr, momentum, l2, seed, data, metrics, activation, batchNorm, dropout, init, schedule,
};
root.Subcommands.Add(Sanity.Command());
root.Subcommands.Add(Overfit.Command());
root.Subcommands.Add(LrFind.Command());
root.SetAction(parse =>
{
    string chosen = parse.GetValue(activation)!.ToLowerInvariant();
    bool bn = parse.GetValue(batchNorm), drop = parse.GetValue(dropout);
    string variant = chosen + (bn ? " + batch norm" : "") + (drop ? " + dropout 0.2" : "");
    return Variants.Train(chosen, bn, drop, new Run.Options(
        parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(momentum),
        parse.GetValue(l2), parse.GetValue(seed), parse.GetValue(data), parse.GetValue(metrics), parse.GetValue(init), variant, parse.GetValue(schedule)!));
});
return root.Parse(args).Invoke();
