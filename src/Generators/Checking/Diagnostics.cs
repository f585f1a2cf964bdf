// The catalog of every diagnostic the generator reports: one ID, one message that says what to change, one doc page.
using System.Collections.Generic;
using System.Linq;
using Functional.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Checking;

internal static class Diagnostics
{
    private const string Category = "Functional.Network";
    private const string HelpRoot = "https://github.com/functional-nn/functional/blob/main/docs/diagnostics/";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");

    public static readonly DiagnosticDescriptor NoLayers = Error("FN0001",
        "Network has no layers",
        "Network '{0}' declares no layers: add positional parameters such as '[Dense(10), SoftmaxCrossEntropy] Dense Scores'");

    public static readonly DiagnosticDescriptor NonPositiveWidth = Error("FN0002",
        "Width must be positive",
        "{0} has width {1}: every width must be at least 1");

    public static readonly DiagnosticDescriptor NoLoss = Error("FN0003",
        "Network has no loss",
        "Network '{0}' has no loss: put [SoftmaxCrossEntropy] or [Hinge] on its last layer '{1}'");

    public static readonly DiagnosticDescriptor TwoLosses = Error("FN0004",
        "Network has more than one loss",
        "Network '{0}' has {1} losses ({2}): keep exactly one, on the last layer");

    public static readonly DiagnosticDescriptor LossNotLast = Error("FN0005",
        "Loss is not on the last layer",
        "The loss on '{0}' must be on the last layer '{1}': move it there, or remove the layers after '{0}'");

    public static readonly DiagnosticDescriptor NotPartial = Error("FN0006",
        "Network record is not partial",
        "Network record '{0}' must be declared 'partial' so the generator can add its members");

    public static readonly DiagnosticDescriptor NotARecord = Error("FN0007",
        "[Network] is not on a record class",
        "[Network] is on the {1} '{0}' but must be on a record class: declare it as 'public sealed partial record {0}(...)'");

    public static readonly DiagnosticDescriptor NotALayer = Error("FN0008",
        "Parameter is not a layer",
        "Parameter '{0}' of network '{1}' is not a layer: declare it as '[Dense(units)] Dense {0}' (found type '{2}'{3})");

    public static readonly DiagnosticDescriptor TwoActivations = Error("FN0009",
        "Layer has more than one activation",
        "Layer '{0}' has {1} activations ({2}): keep at most one");

    public static readonly DiagnosticDescriptor NoInputs = Error("FN0010",
        "Network does not say its input width",
        "Network '{0}' must say how many inputs it takes: write [Network(Inputs = 784)]");

    public static readonly DiagnosticDescriptor ContainerNotPartial = Error("FN0011",
        "Type containing a network is not partial",
        "'{0}' contains the network '{1}' and must be declared 'partial' too");

    public static readonly DiagnosticDescriptor TooFewClasses = Error("FN0012",
        "Loss layer has fewer than two classes",
        "Loss layer '{0}' has {1} output(s): a classifier needs at least 2 classes");

    public static readonly DiagnosticDescriptor Unsupported = Error("FN0013",
        "Activation or loss is not supported",
        "Layer '{0}' uses {1} '{2}', which Functional cannot generate code for: use one of {3}");

    public static readonly DiagnosticDescriptor MaxoutPieces = Error("FN0014",
        "Maxout needs at least two pieces",
        "Layer '{0}' uses Maxout with k = {1}: the maximum of fewer than 2 linear pieces is not an activation; use k ≥ 2");

    public static readonly DiagnosticDescriptor DropoutRange = Error("FN0015",
        "Dropout probability out of range",
        "Layer '{0}' drops units with probability {1}: it must be in [0, 1) (p = 1 would drop everything)");

    public static readonly DiagnosticDescriptor EluAlpha = Error("FN0016",
        "ELU α must be positive",
        "Layer '{0}' uses ELU with α = {1}: α must be positive");

    public static readonly DiagnosticDescriptor BatchNormWidthOne = Error("FN0017",
        "Batch norm on a layer of width 1",
        "Layer '{0}' has batch norm but only {1} output: normalising a single feature per sample leaves nothing to learn from; remove [BatchNorm] or widen the layer");

    public static readonly DiagnosticDescriptor ActivationAfterLoss = Error("FN0018",
        "Activation after the loss",
        "Layer '{0}' lists the activation '{1}' after its loss '{2}': a loss ends the network; put the activation before the loss or remove it");

    public static readonly DiagnosticDescriptor InitMismatch = Warning("FN0019",
        "Initialisation does not suit the activation",
        "Layer '{0}' initialises its weights with {1} before {2}: {3}");

    public static readonly DiagnosticDescriptor ZerosInit = Warning("FN0020",
        "Weights initialised to zero",
        "Layer '{0}' initialises its weights to zero: every unit then computes the same output and receives the same update, so they never become different; use Xavier or He (zeros suit biases, which start at BiasInit)");

    public static readonly DiagnosticDescriptor LeakySlope = Error("FN0021",
        "Leaky ReLU slope out of range",
        "Layer '{0}' uses LeakyRelu with slope {1}: the slope must be in [0, 1)");

    public static readonly DiagnosticDescriptor DropoutOnLossLayer = Error("FN0022",
        "Dropout on the loss layer",
        "Layer '{0}' has both its loss and dropout: dropping class scores corrupts the loss; put [Dropout] on a hidden layer");

    public static readonly DiagnosticDescriptor BadConstant = Error("FN0023",
        "Constant out of range",
        "Layer '{0}': {1} is {2}, but must be {3}");

    public static readonly DiagnosticDescriptor UnsupportedForm = Error("FN0024",
        "Network record of an unsupported form",
        "Network '{0}' is {1}: a network must be a non-generic, non-abstract record class, not file-local, and not nested in a generic type");

    public static readonly DiagnosticDescriptor ReservedName = Error("FN0025",
        "Layer name is taken by a generated member",
        "Layer '{0}' has the name of a member the generator adds to '{1}': rename the layer (reserved: {2})");

    public static readonly DiagnosticDescriptor TooLarge = Error("FN0026",
        "Network too large",
        "Network '{0}' needs {1} parameters, more than one float array can hold ({2}): make its layers narrower");

    public static readonly DiagnosticDescriptor UndefinedEnumValue = Error("FN0027",
        "Attribute argument is not a value of its enum",
        "Layer '{0}': [{1}]'s {2} is {3}, which is not a value of {4}: use one of {5}");

    public static readonly DiagnosticDescriptor GeneratedNameTaken = Error("FN0028",
        "Generated member name is taken",
        "{0} needs a generated member for {1}, named '{2}', but '{2}' is already {3}: rename one of them");

    public static readonly DiagnosticDescriptor UserMemberTaken = Error("FN0029",
        "Member name is taken by a generated member",
        "'{0}' declares the {1} '{2}', but the generator adds '{2}' to it as {3}: rename yours (generated names are reserved, overloads included)");

    public static readonly DiagnosticDescriptor ConvSizeOutOfRange = Error("FN0030",
        "Convolution or pooling size out of range",
        "Layer '{0}': {1} is {2}, but must be {3} (shapes: {4})");

    public static readonly DiagnosticDescriptor WindowTooLarge = Error("FN0031",
        "Kernel or pooling window larger than its input",
        "Layer '{0}': its {1} {2} is larger than its input {3} (shapes: {4})");

    public static readonly DiagnosticDescriptor NotWhole = Error("FN0032",
        "Output size is not a whole number",
        "Layer '{0}': {1} over {2} {3} gives ({4}) / {5} + 1 = {6}, not a whole number (PyTorch would floor it and silently drop the last {7} {3}); change the padding, stride or window so that it divides (shapes: {8})");

    public static readonly DiagnosticDescriptor ConvNeedsImage = Error("FN0033",
        "Convolution without an image input",
        "Layer '{0}' is a convolution, but its input {1} is {2}: a convolution needs an image (channels × height × width), so declare [Network(Channels = …, Height = …, Width = …)] and put every convolution before the dense layers (shapes: {3})");

    public static readonly DiagnosticDescriptor PoolOnDense = Error("FN0034",
        "Pooling on a dense layer",
        "Layer '{0}' is dense but has [{1}]: pooling belongs to a convolution layer, after its activation; move it to a Conv2d layer or remove it");

    public static readonly DiagnosticDescriptor ConvLossLayer = Error("FN0035",
        "Convolution carries the loss",
        "Layer '{0}' is a convolution with the loss {1}: class scores come from a dense layer, so add '[Dense(classes), {1}] Dense Scores' after it");

    public static readonly DiagnosticDescriptor InputsMismatch = Error("FN0036",
        "Inputs disagree with the image shape",
        "Network '{0}' declares Inputs = {1}, but Channels × Height × Width = {2}: drop Inputs or make them agree");

    public static readonly DiagnosticDescriptor PartialImage = Error("FN0037",
        "Image shape incomplete",
        "Network '{0}' gives {1} but not {2}: an image input needs Channels, Height and Width");

    public static readonly DiagnosticDescriptor TwoPools = Error("FN0038",
        "Layer has more than one pooling",
        "Layer '{0}' has {1} poolings ({2}): keep at most one");

    public static readonly DiagnosticDescriptor Totals = new("FN0039",
        "Network size",
        "Network '{0}': {1} parameters, {2} FLOPs per sample (forward products), {3} of activations per batch of 64 ({4})",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpRoot + "FN0039.md");

    public static readonly IReadOnlyDictionary<string, DiagnosticDescriptor> ById = new[]
    {
        NoLayers, NonPositiveWidth, NoLoss, TwoLosses, LossNotLast, NotPartial, NotARecord, NotALayer,
        TwoActivations, NoInputs, ContainerNotPartial, TooFewClasses, Unsupported,
        MaxoutPieces, DropoutRange, EluAlpha, BatchNormWidthOne, ActivationAfterLoss, InitMismatch, ZerosInit, LeakySlope,
        DropoutOnLossLayer, BadConstant, UnsupportedForm, ReservedName, TooLarge, UndefinedEnumValue, GeneratedNameTaken, UserMemberTaken,
        ConvSizeOutOfRange, WindowTooLarge, NotWhole, ConvNeedsImage, PoolOnDense, ConvLossLayer, InputsMismatch, PartialImage, TwoPools, Totals,
    }.ToDictionary(d => d.Id);
}

/// <summary>How a rule reports a failure: the catalog entry, where (null: the declaration), and the message's arguments.</summary>
internal delegate void Report(DiagnosticDescriptor descriptor, LocationInfo? at, params string[] arguments);
