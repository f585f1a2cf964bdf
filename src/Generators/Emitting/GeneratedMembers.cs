// Every member name the emitter declares, in one place: the emitter spells names from here and the checker finds collisions here.
using System;
using System.Collections.Generic;
using System.Linq;
using Functional.Generators.Model;

namespace Functional.Generators.Emitting;

/// <summary>Where a generated member lives: in the network record itself, or in its nested <c>Workspace</c> class.</summary>
internal enum MemberScope { Record, Workspace }

/// <summary>One member the emitter declares (or inherits and must not hide): its name, scope, the layer it belongs to (null: the network as a whole) and what it is, for messages.</summary>
internal sealed record GeneratedMember(string Name, MemberScope Scope, string? Layer, string What);

/// <summary>A per-layer member: the layer's name followed by <see cref="Suffix"/>, declared when <see cref="IsDeclared"/> holds for the layer.</summary>
internal sealed class LayerMember(string suffix, MemberScope scope, string what, Func<LayerShape, bool> isDeclared)
{
    public string Suffix { get; } = suffix;
    public MemberScope Scope { get; } = scope;
    /// <summary>What the member is, with {0} for the layer's possessive ("Hidden's").</summary>
    public string What { get; } = what;
    public Func<LayerShape, bool> IsDeclared { get; } = isDeclared;

    public string Of(string layer) => layer + Suffix;
    public string Of(LayerShape layer) => Of(layer.Name);
}

/// <summary>
/// The names the emitter gives its members. The emitter writes per-layer names through the <see cref="LayerMember"/>s
/// below and network-wide names as listed in <see cref="Network"/>; <see cref="Of"/> lists what it declares for a
/// network, so the checker can refuse a declaration whose names would collide in the generated code. A test compiles
/// generated networks and compares every member in their syntax trees with <see cref="Of"/>, so the two cannot drift.
/// </summary>
internal static class GeneratedMembers
{
    private const MemberScope R = MemberScope.Record, Ws = MemberScope.Workspace;

    /// <summary>The nested class of scratch buffers, itself a member of the record.</summary>
    public const string WorkspaceClass = "Workspace";

    /// <summary>Members of every network record, whatever its layers.</summary>
    public static readonly (string Name, string What)[] Network =
    [
        ("InputCount", "the input width"), ("ClassCount", "the class count"), ("ParameterCount", "the parameter count"),
        ("BufferCount", "the buffer count"), ("Layout", "the layout"), ("Step", "the training step"), ("Init", "the initialiser"),
        ("FromParameters", "the constructor from a parameter block"), ("Parameters", "the parameter block"), ("Buffers", "the buffer block"),
        ("Accuracy", "the accuracy method"), ("Predict", "the prediction method"), (WorkspaceClass, "the scratch-buffer class"),
        ("LayerOutput", "the layer-output accessor"), ("Infer", "the inference method"), ("ScoreLoss", "the loss of scores"),
        ("ComputeGradient", "the gradient step"), ("TrainInPlace", "the fused training step"), ("Train", "the private training step"),
        ("ReferenceLoss", "the reference loss"), ("Defaults", "the declared hyperparameters"),
        ("Hyperparameters", "the model's hyperparameters"), ("hyperparameters", "the hyperparameters' backing field"),
    ];

    /// <summary>Members the generated Workspace inherits from Functional.Workspace: a generated buffer of the same name would hide one the code reads.</summary>
    public static readonly string[] WorkspaceBase = ["MaxBatch", "Input", "Labels", "Scores", "ScoresGradient"];

    // In the record: offsets into the parameter and buffer blocks and the forward/backward pair.
    public static readonly LayerMember Weights = new("Weights", R, "the offset of {0} W", _ => true);
    public static readonly LayerMember Bias = new("Bias", R, "the offset of {0} b", l => l.HasBias);
    public static readonly LayerMember Gamma = new("Gamma", R, "the offset of {0} γ", l => l.BatchNorm is not null);
    public static readonly LayerMember Beta = new("Beta", R, "the offset of {0} β", l => l.BatchNorm is not null);
    public static readonly LayerMember RunningMean = new("RunningMean", R, "the offset of {0} running mean", l => l.BatchNorm is not null);
    public static readonly LayerMember RunningVariance = new("RunningVariance", R, "the offset of {0} running variance", l => l.BatchNorm is not null);
    public static readonly LayerMember Slope = new("Slope", R, "the offset of {0} PReLU slopes", l => l.IsPRelu);
    public static readonly LayerMember Forward = new("Forward", R, "{0} forward method", l => l.IsFused);
    public static readonly LayerMember ForwardTraining = new("ForwardTraining", R, "{0} training forward method", l => !l.IsFused);
    public static readonly LayerMember ForwardInference = new("ForwardInference", R, "{0} inference forward method", l => !l.IsFused);
    public static readonly LayerMember Backward = new("Backward", R, "{0} backward method", _ => true);

    // In the Workspace: what forward saves for backward, and scratch.
    public static readonly LayerMember Output = new("Output", Ws, "{0} saved output", l => !l.IsLast);
    public static readonly LayerMember Gradient = new("Gradient", Ws, "{0} pre-activation gradient", l => l.IsFused && !l.IsLast);
    public static readonly LayerMember Z = new("Z", Ws, "{0} saved product", l => !l.IsFused && l.NeedsZ);
    public static readonly LayerMember XHat = new("XHat", Ws, "{0} normalised pre-activation", l => !l.IsFused && l.BatchNorm is not null);
    public static readonly LayerMember InvStd = new("InvStd", Ws, "{0} batch 1/σ", l => !l.IsFused && l.BatchNorm is not null);
    public static readonly LayerMember Statistics = new("Statistics", Ws, "{0} batch statistics", l => !l.IsFused && l.BatchNorm is not null);
    public static readonly LayerMember NoBias = new("NoBias", Ws, "{0} zero bias", l => !l.IsFused && l.BatchNorm is not null);
    public static readonly LayerMember U = new("U", Ws, "{0} batch-normalised value", l => !l.IsFused && l.NeedsSeparateU);
    public static readonly LayerMember A = new("A", Ws, "{0} activation before dropout", l => !l.IsFused && l.Dropout is not null);
    public static readonly LayerMember Mask = new("Mask", Ws, "{0} dropout mask", l => !l.IsFused && l.Dropout is not null);
    public static readonly LayerMember OutputGradient = new("OutputGradient", Ws, "{0} output gradient", l => !l.IsFused && !l.IsLast);
    public static readonly LayerMember PieceGradient = new("PieceGradient", Ws, "{0} Maxout piece gradient", l => !l.IsFused && l.IsMaxout);

    public static readonly LayerMember[] PerLayer =
    [
        Weights, Bias, Gamma, Beta, RunningMean, RunningVariance, Slope, Forward, ForwardTraining, ForwardInference, Backward,
        Output, Gradient, Z, XHat, InvStd, Statistics, NoBias, U, A, Mask, OutputGradient, PieceGradient,
    ];

    /// <summary>The names of <see cref="Network"/>, for FN0025's list.</summary>
    public static IEnumerable<string> NetworkNames => Network.Select(m => m.Name);

    /// <summary>Every member the emitter declares for <paramref name="net"/>: the network-wide ones, then each layer's in declaration order.</summary>
    public static IEnumerable<GeneratedMember> Of(NetworkShape net)
    {
        foreach (var (name, what) in Network) yield return new GeneratedMember(name, R, null, what);
        foreach (var layer in net.Layers)
            foreach (var m in PerLayer.Where(m => m.IsDeclared(layer)))
                yield return new GeneratedMember(m.Of(layer), m.Scope, layer.Name, string.Format(System.Globalization.CultureInfo.InvariantCulture, m.What, Possessive(layer.Name)));
    }

    /// <summary>English possessive of a name: Hidden's, Scores'.</summary>
    public static string Possessive(string name) => name.EndsWith("s", StringComparison.Ordinal) ? name + "'" : name + "'s";
}
