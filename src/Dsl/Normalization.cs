// Layer modifiers that are not activations: batch normalization and dropout.
using System;

namespace Functional.Dsl;

/// <summary>
/// Batch normalization (Ioffe &amp; Szegedy 2015) of the layer's pre-activation: in training each feature is
/// normalised by the batch's mean and variance, then scaled and shifted by learnable γ and β (so the network can
/// undo it); running averages of mean and variance are kept for inference. The layer's bias is dropped, since β
/// takes its place. Placed before the activation and fused with it. Makes training far less sensitive to
/// initialisation and tolerates higher learning rates.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>Weight of the newest batch in the running averages: r ← (1 − m)·r + m·batch (PyTorch's convention, default 0.1).</summary>
    public float Momentum { get; set; } = 0.1f;

    /// <summary>Added to the variance before the square root, for stability (default 1e-5).</summary>
    public float Epsilon { get; set; } = 1e-5f;
}

/// <summary>
/// Inverted dropout after the layer's activation, in training only: each unit is zeroed with probability
/// <paramref name="probability"/> and the survivors scaled by 1/(1 − p), so inference needs no rescaling.
/// The mask is drawn from the step's seed, so runs are reproducible.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class DropoutAttribute(float probability) : Attribute
{
    /// <summary>The probability p of dropping a unit, in [0, 1).</summary>
    public float Probability { get; } = probability;
}
