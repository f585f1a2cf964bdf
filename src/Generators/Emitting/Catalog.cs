// What the generator knows of each activation and loss: the runtime kernel it maps to and how to name it in prose.
namespace Functional.Generators.Emitting;

internal static class Catalog
{
    public static readonly string[] Activations = ["Relu"];
    public static readonly string[] Losses = ["SoftmaxCrossEntropy", "Hinge"];

    public static string ActivationLabel(string activation) => activation switch
    {
        "Relu" => "ReLU",
        _ => activation,
    };

    public static string LossLabel(string loss) => loss switch
    {
        "SoftmaxCrossEntropy" => "softmax cross-entropy",
        "Hinge" => "multiclass SVM hinge",
        _ => loss,
    };

    /// <summary>The runtime class (in Functional.Kernels) and Reference method that implement the loss.</summary>
    public static string LossKernel(string loss) => loss;
}
