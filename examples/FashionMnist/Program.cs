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
var metrics = new Option<FileInfo?>("--metrics") { Description = "Write per-epoch metrics and the final test accuracy to this JSON file" };

var root = new RootCommand("Train a 784-256-128-10 ReLU network on Fashion-MNIST with mini-batch SGD.")
{
    epochs, batch, lr, momentum, l2, seed, data, metrics,
};
root.SetAction(parse => Run.Train(new Run.Options(
    parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(momentum),
    parse.GetValue(l2), parse.GetValue(seed), parse.GetValue(data), parse.GetValue(metrics))));
return root.Parse(args).Invoke();
