// What a stage a product layer may carry (batch norm, dropout) tells the generator: its attribute, how it is read and its rules.
using Functional.Generators.Checking;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Kinds.Layers;

/// <summary>
/// A modifier written beside a layer's kind: batch norm before the activation, dropout after it. Its parse rules and
/// checks are its own; its passes, buffers and reference line are emitted by the product layer that hosts it (they are
/// interleaved with the product and activation there, which is what makes fusing them possible).
/// </summary>
internal abstract class Stage
{
    /// <summary>The attribute's metadata name.</summary>
    public abstract string Attribute { get; }

    /// <summary>Reads the stage's attribute into the layer being parsed.</summary>
    public abstract void Read(AttributeData attribute, LayerBuilder layer);

    /// <summary>The rules on the stage's constants and placement.</summary>
    public abstract void Check(LayerSpec layer, Report report);
}
