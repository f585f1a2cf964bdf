// What the babysitting checks (initial loss, overfit a tiny subset, learning-rate range test) share: their verdict and the loss a network declares.
namespace Functional.Training;

/// <summary>The outcome of a babysitting check.</summary>
public enum CheckOutcome
{
    /// <summary>The check found nothing wrong.</summary>
    Pass,
    /// <summary>Suspicious but not necessarily wrong (an initial loss off its expectation): look before training for hours.</summary>
    Warn,
    /// <summary>The check found a fault: fix it before training.</summary>
    Fail,
}

/// <summary>The data losses a network can declare.</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy: the outputs are read as class probabilities.</summary>
    SoftmaxCrossEntropy,
    /// <summary>Multiclass SVM hinge (margin 1): the outputs are raw scores.</summary>
    Hinge,
}

/// <summary>Small helpers behind the babysitting checks.</summary>
public static class Babysitting
{
    /// <summary>
    /// The loss <typeparamref name="TNet"/> declares. The runtime interface does not name it (it only computes it), so it is
    /// told apart by its value on all-zero scores: softmax cross-entropy gives ln C and the hinge C − 1, which differ for every C ≥ 2.
    /// </summary>
    public static LossKind LossOf<TNet>() where TNet : class, INetwork<TNet>
    {
        int classes = TNet.ClassCount;
        double atZero = TNet.ScoreLoss(new float[classes], [0], 1).Loss;
        if (Math.Abs(atZero - Math.Log(classes)) < 1e-4) return LossKind.SoftmaxCrossEntropy;
        if (Math.Abs(atZero - (classes - 1)) < 1e-4) return LossKind.Hinge;
        throw new NotSupportedException($"{typeof(TNet).Name}'s loss is {atZero} on zero scores: neither softmax cross-entropy (ln {classes}) nor the hinge ({classes - 1})");
    }

    /// <summary>All rows of <paramref name="data"/> as one batch.</summary>
    public static Data.Batch Whole(Data.Dataset data) => new(data, Enumerable.Range(0, data.Count).ToArray());
}
