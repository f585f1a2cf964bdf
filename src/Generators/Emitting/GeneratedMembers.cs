// The names of the members the emitter declares: it spells and records them here, and the checker finds collisions in what it recorded.
using System;
using System.Collections.Generic;
using System.Linq;

namespace Functional.Generators.Emitting;

/// <summary>Where a generated member lives: in the network record itself, or in its nested <c>Workspace</c> class.</summary>
internal enum MemberScope { Record, Workspace }

/// <summary>One member the emitter declares (or inherits and must not hide): its name, scope, the layer it belongs to (null: the network as a whole) and what it is, for messages.</summary>
internal sealed record GeneratedMember(string Name, MemberScope Scope, string? Layer, string What);

/// <summary>A per-layer member: the layer's name followed by <see cref="Suffix"/>.</summary>
internal sealed class LayerMember(string suffix, MemberScope scope, string what)
{
    public string Suffix { get; } = suffix;
    public MemberScope Scope { get; } = scope;
    /// <summary>What the member is, with {0} for the layer's possessive ("Hidden's").</summary>
    public string What { get; } = what;

    public string Of(string layer) => layer + Suffix;
    public string Of(LayerShape layer) => Of(layer.Name);
}

/// <summary>Declares one workspace buffer of a layer: its member, its size in elements (per row unless <paramref name="perRow"/> is false), its doc and its element type.</summary>
internal delegate void WorkspaceBuffer(LayerMember member, string size, string doc, bool perRow = true, string type = "float");

/// <summary>
/// The names the emitter gives its members. Every declaration the emitter writes goes through
/// <see cref="SourceWriter.Declare(string, string)"/> or <see cref="SourceWriter.Declare(LayerMember, LayerShape)"/>,
/// which record it; <see cref="Of"/> is that record for a network, so the reserved names and the collision checks are
/// whatever the emitter writes, never a list kept beside it. A test compiles generated networks and compares every
/// member in their syntax trees with <see cref="Of"/>, which catches a declaration written without recording it.
/// </summary>
internal static class GeneratedMembers
{
    private const MemberScope R = MemberScope.Record, Ws = MemberScope.Workspace;

    /// <summary>The nested class of scratch buffers, itself a member of the record.</summary>
    public const string WorkspaceClass = "Workspace";

    /// <summary>Members the generated Workspace inherits from Functional.Workspace: a generated buffer of the same name would hide one the code reads.</summary>
    public static readonly string[] WorkspaceBase = ["MaxBatch", "Input", "Labels", "Scores", "ScoresGradient"];

    // In the record: offsets into the parameter and buffer blocks and the forward/backward pair.
    public static readonly LayerMember Weights = new("Weights", R, "the offset of {0} W");
    public static readonly LayerMember Bias = new("Bias", R, "the offset of {0} b");
    public static readonly LayerMember Gamma = new("Gamma", R, "the offset of {0} γ");
    public static readonly LayerMember Beta = new("Beta", R, "the offset of {0} β");
    public static readonly LayerMember RunningMean = new("RunningMean", R, "the offset of {0} running mean");
    public static readonly LayerMember RunningVariance = new("RunningVariance", R, "the offset of {0} running variance");
    public static readonly LayerMember Slope = new("Slope", R, "the offset of {0} PReLU slopes");
    public static readonly LayerMember Forward = new("Forward", R, "{0} forward method");
    public static readonly LayerMember ForwardTraining = new("ForwardTraining", R, "{0} training forward method");
    public static readonly LayerMember ForwardInference = new("ForwardInference", R, "{0} inference forward method");
    public static readonly LayerMember Backward = new("Backward", R, "{0} backward method");
    public static readonly LayerMember ConvolutionShape = new("Convolution", R, "{0} convolution shape");
    public static readonly LayerMember PoolingShape = new("Pooling", R, "{0} pooling shape");

    // In the Workspace: what forward saves for backward, and scratch.
    public static readonly LayerMember Output = new("Output", Ws, "{0} saved output");
    public static readonly LayerMember Gradient = new("Gradient", Ws, "{0} pre-activation gradient");
    public static readonly LayerMember Z = new("Z", Ws, "{0} saved product");
    public static readonly LayerMember XHat = new("XHat", Ws, "{0} normalised pre-activation");
    public static readonly LayerMember InvStd = new("InvStd", Ws, "{0} batch 1/σ");
    public static readonly LayerMember Statistics = new("Statistics", Ws, "{0} batch statistics");
    public static readonly LayerMember NoBias = new("NoBias", Ws, "{0} zero bias");
    public static readonly LayerMember U = new("U", Ws, "{0} batch-normalised value");
    public static readonly LayerMember A = new("A", Ws, "{0} activation before dropout");
    public static readonly LayerMember Mask = new("Mask", Ws, "{0} dropout mask");
    public static readonly LayerMember OutputGradient = new("OutputGradient", Ws, "{0} output gradient");
    public static readonly LayerMember PieceGradient = new("PieceGradient", Ws, "{0} Maxout piece gradient");
    public static readonly LayerMember Activated = new("Activated", Ws, "{0} activation before pooling");
    public static readonly LayerMember ActivatedGradient = new("ActivatedGradient", Ws, "{0} gradient before pooling");
    public static readonly LayerMember Indices = new("Indices", Ws, "{0} max-pool indices");

    /// <summary>Every member the emitter declares for <paramref name="net"/>, in the order it writes them (overloads once).</summary>
    public static IReadOnlyList<GeneratedMember> Of(NetworkShape net) => Emitter.Write(net).Declared;

    /// <summary>The record of one per-layer member of <paramref name="layer"/>.</summary>
    public static GeneratedMember For(LayerMember member, LayerShape layer) =>
        new(member.Of(layer), member.Scope, layer.Name, string.Format(System.Globalization.CultureInfo.InvariantCulture, member.What, Possessive(layer.Name)));

    /// <summary>English possessive of a name: Hidden's, Scores'.</summary>
    public static string Possessive(string name) => name.EndsWith("s", StringComparison.Ordinal) ? name + "'" : name + "'s";
}
