// Loss attributes: on the last layer, whose width is the number of classes.
using System;

namespace Functional.Dsl;

/// <summary>Base of every loss attribute; exactly one, on the last layer.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public abstract class LossAttribute : Attribute;

/// <summary>Softmax over the scores, then the negative log-likelihood of the true class. Initial loss ≈ ln(classes).</summary>
public sealed class SoftmaxCrossEntropyAttribute : LossAttribute;

/// <summary>Multiclass SVM (Weston–Watkins) hinge: Σ_{j≠y} max(0, s_j − s_y + 1). Initial loss ≈ classes − 1.</summary>
public sealed class HingeAttribute : LossAttribute;
