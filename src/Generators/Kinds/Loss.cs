// The losses a network can end in: one record each, registered in Kinds.Losses.
namespace Functional.Generators.Kinds;

/// <summary>
/// A loss on the last layer. <see cref="Name"/> is the attribute's short name, the class in <c>Functional.Kernels</c>
/// (<c>Loss</c>, <c>LossAndGradient</c>), the method of <c>Functional.Kernels.Reference</c> and the
/// <c>Functional.Training.LossKind</c> member; <see cref="Label"/> is how the generated comments name it.
/// </summary>
internal sealed record Loss(string Name, string Label)
{
    public static readonly Loss SoftmaxCrossEntropy = new(nameof(SoftmaxCrossEntropy), "softmax cross-entropy");
    public static readonly Loss Hinge = new(nameof(Hinge), "multiclass SVM hinge");
}
