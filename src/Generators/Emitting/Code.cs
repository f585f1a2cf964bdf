// How generated code spells things: the fully qualified names it uses and the literals and slices it writes, shared by every piece.
using System.Globalization;

namespace Functional.Generators.Emitting;

internal static class Code
{
    // The fold, the tests and monitoring call these through INetwork; a user of the record needs Init, Infer, Predict and
    // Accuracy, so the rest stays callable but out of IntelliSense's way.
    public const string Hidden = "[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]";

    public const string Kernels = "global::Functional.Kernels";
    public const string Ro = "global::System.ReadOnlySpan<float>";
    public const string Rw = "global::System.Span<float>";
    public const string Update = "global::Functional.Optimizers.FusedUpdate";
    public const string Throw = "throw new global::System.ArgumentException";
    public const string LayerH = "global::Functional.LayerHyperparameters";

    public static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
    public static string Grouped(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A float as the shortest text that round-trips.</summary>
    public static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A float literal that round-trips exactly.</summary>
    public static string FloatLiteral(float value) => Number(value) + "f";

    /// <summary>English possessive of a name: Hidden's, Scores'.</summary>
    public static string Own(string name) => GeneratedMembers.Possessive(name);

    /// <summary>A span over part of an array, spelled without extension methods so the user's usings do not matter.</summary>
    public static string Span(string array, string start, string length) => $"new {Rw}({array}, {start}, {length})";
    public static string ReadOnly(string array, string start, string length) => $"new {Ro}({array}, {start}, {length})";

    /// <summary>The slice of a parameter-shaped block holding the layer's W, or its b.</summary>
    public static string W(LayerShape l, string block) => $"{block}.Slice({GeneratedMembers.Weights.Of(l)}, {l.WeightCountText})";
    public static string B(LayerShape l, string block) => $"{block}.Slice({GeneratedMembers.Bias.Of(l)}, {N(l.Width)})";

    /// <summary>
    /// A kernel call with the layer's activation: <c>Kernel&lt;Relu&gt;(args)</c> for one without parameters,
    /// <c>Kernel(args, new LeakyRelu(h.LeakySlope))</c> for one whose parameter is a run-time value read from <paramref name="h"/>.
    /// </summary>
    public static string WithActivation(string kernel, LayerShape l, string args, string h)
        => l.ActivationValue(h) is { } value ? $"{kernel}({args}, {value})" : $"{kernel}<{l.ActivationType}>({args})";
}
