// Activation attributes: applied to a layer's output, fused into its matrix product.
using System;

namespace Functional.Dsl;

/// <summary>Base of every activation attribute; a layer has at most one.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public abstract class ActivationAttribute : Attribute;

/// <summary>max(0, x). Cheap and non-saturating for x &gt; 0; units whose input stays negative stop learning ("dead ReLUs").</summary>
public sealed class ReluAttribute : ActivationAttribute;
