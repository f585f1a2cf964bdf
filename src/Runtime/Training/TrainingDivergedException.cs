// The error a fold raises when training diverges: which step, what loss, which layer and tensor went non-finite, and what to try.
using Functional.Optimizers;

namespace Functional.Training;

/// <summary>
/// Training produced a non-finite loss or parameter. Nothing the caller holds has changed (the fold works on its own
/// copies), so the state the fold was given is still good; no model with NaN or ∞ ever escapes.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    private TrainingDivergedException(string message, long step, float loss, NonFinite? where) : base(message)
    {
        Step = step;
        Loss = loss;
        Where = where;
    }

    /// <summary>The step (counted from the start of training) whose loss or update was non-finite.</summary>
    public long Step { get; }

    /// <summary>That step's loss (NaN or ∞ when the loss itself diverged; finite when only a parameter did).</summary>
    public float Loss { get; }

    /// <summary>The first non-finite parameter or buffer after the step, by layer and tensor; null when all were still finite.</summary>
    public NonFinite? Where { get; }

    internal static TrainingDivergedException At<TNet>(long step, float loss, ReadOnlySpan<float> parameters, ReadOnlySpan<float> buffers, float? rate)
        where TNet : class, INetwork<TNet>
    {
        var where = Finite.Find(TNet.Layout, parameters, buffers);
        string what = float.IsFinite(loss) ? "a parameter became non-finite" : $"the loss is {loss}";
        string first = where is { } w ? $"; first non-finite value: {w}" : "; the parameters were still finite";
        string advice = rate is { } lr
            ? $"try a learning rate of {lr / 10:G3} or lower (it is {lr:G3})"
            : "try a lower learning rate";
        return new TrainingDivergedException($"{typeof(TNet).Name}: training diverged at step {step:N0}: {what}{first}. {char.ToUpperInvariant(advice[0])}{advice[1..]}, " +
                                             "stronger L2, or gradient clipping.", step, loss, where);
    }
}
