// What the generator knows of each activation and loss: the runtime kernel it maps to and how to name it in prose.
using System.Globalization;
using Functional.Generators.Model;

namespace Functional.Generators.Emitting;

internal static class Catalog
{
    public static readonly string[] Activations = ["Relu", "Sigmoid", "Tanh", "LeakyRelu", "PRelu", "Elu", "Maxout"];
    public static readonly string[] Losses = ["SoftmaxCrossEntropy", "Hinge"];

    /// <summary>Activations whose derivative can be computed from their output alone, so it fuses into a product's epilogue.</summary>
    public static bool IsPointwise(string? kind) => kind is null or "Relu" or "Sigmoid" or "Tanh" or "LeakyRelu" or "Elu";

    /// <summary>The family that wants He initialisation (they pass about half the input's variance).</summary>
    public static bool IsReluFamily(string? kind) => kind is "Relu" or "LeakyRelu" or "PRelu" or "Elu" or "Maxout";

    public static string ActivationLabel(ActivationSpec? activation) => activation?.Kind switch
    {
        null => "linear",
        "Relu" => "ReLU",
        "Sigmoid" => "sigmoid",
        "Tanh" => "tanh",
        "LeakyRelu" => $"leaky ReLU (slope {Number(activation.Number)})",
        "PRelu" => activation.Shared ? "PReLU (one shared learned slope)" : "PReLU (a learned slope per unit)",
        "Elu" => $"ELU (α {Number(activation.Number)})",
        "Maxout" => $"maxout of {activation.Pieces} pieces",
        _ => activation.Kind,
    };

    public static string LossLabel(string loss) => loss switch
    {
        "SoftmaxCrossEntropy" => "softmax cross-entropy",
        "Hinge" => "multiclass SVM hinge",
        _ => loss,
    };

    /// <summary>The runtime class (in Functional.Kernels) and Reference method that implement the loss.</summary>
    public static string LossKernel(string loss) => loss;

    public static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A float literal that round-trips exactly.</summary>
    public static string FloatLiteral(float value) => Number(value) + "f";
}
