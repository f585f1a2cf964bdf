// Maxout: k linear pieces per unit (the product is k times wider) and their maximum, in passes of its own.
using System.Globalization;
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Microsoft.CodeAnalysis;
using static Functional.Generators.Emitting.Code;
using static Functional.Generators.Emitting.GeneratedMembers;

namespace Functional.Generators.Kinds.Activations;

internal sealed class Maxout() : Activation("Maxout", "maxout", Derivative.OwnPass, InitKind.He)
{
    public override string Label(ActivationSpec activation) => $"maxout of {activation.Pieces} pieces";
    public override int Pieces(ActivationSpec activation) => activation.Pieces;

    /// <summary>k is the attribute's one constructor argument; a missing or half-typed one reads as 0, which the check refuses.</summary>
    public override ActivationSpec Read(string written, AttributeData attribute, int position) =>
        base.Read(written, attribute, position) with
        {
            Pieces = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int k ? k : 0,
        };

    public override void Check(LayerSpec layer, ActivationSpec activation, Report report)
    {
        if (activation.Pieces < 2) report(Diagnostics.MaxoutPieces, layer.Location, layer.Name, activation.Pieces.ToString(CultureInfo.InvariantCulture));
    }

    public override string BackwardStep(ActivationSpec activation, string input) => "routed to each unit's winning piece";

    public override string OwnForward(LayerShape l, string u, string y) =>
        $"{Kernels}.Maxout.Forward({u}, {y}, batch, {N(l.Outputs)}, {N(l.Pieces)});";

    public override string OwnBackward(SourceWriter w, LayerShape l, string dy, string u)
    {
        w.Line($"{Kernels}.Maxout.Backward({dy}, {u}, ws.{PieceGradient.Of(l)}, batch, {N(l.Outputs)}, {N(l.Pieces)});");
        return Span($"ws.{PieceGradient.Of(l)}", "0", $"batch * {N(l.Width)}");
    }

    public override void OwnBuffers(LayerShape l, WorkspaceBuffer buffer) =>
        buffer(PieceGradient, N(l.Width), $"∂loss/∂ of {Own(l.Name)} pieces, [B, {N(l.Width)}].");

    public override string Reference(LayerShape l, string v, string h) =>
        $"{v} = {Kernels}.Reference.Maxout({v}, count, {N(l.Outputs)}, {N(l.Pieces)});";
}
