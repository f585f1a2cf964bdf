// The dense layer's part of the generated record: offsets, init, workspace, its forward/backward pair, its calls and its reference.
using System.Collections.Generic;
using Functional.Generators.Emitting;
using Functional.Generators.Kinds.Activations;
using static Functional.Generators.Emitting.Code;
using static Functional.Generators.Emitting.GeneratedMembers;

namespace Functional.Generators.Kinds.Layers;

internal sealed partial class Dense
{
    public override string Describe(LayerShape l)
    {
        var parts = new List<string> { $"dense {l.Inputs} → {l.Width}" };
        if (l.BatchNorm is not null) parts.Add("batch norm (γ, β; no bias)");
        parts.Add(l.ActivationLabel);
        if (l.Dropout is float p) parts.Add($"dropout p = {Number(p)} (training only; 0 at run time skips it{(l.IsDropoutOnly ? " and fuses the layer" : "")})");
        if (l.Spec.Loss is not null) parts.Add($"then {Registry.LossNamed(l.Spec.Loss)?.Label ?? l.Spec.Loss} loss");
        string kept = l.KeepsInput ? $"; keeps its pre-activation for {l.ActivationLabel}′" : "";
        return $"{string.Join(", ", parts)}; {l.Init} init{(l.IsFused ? "" : "; staged (not fused into the product)")}{kept}";
    }

    // ── Layout and construction ────────────────────────────────────────────────────────────────

    public override void EmitOffsets(SourceWriter w, LayerShape l)
    {
        EmitTensorOffsets(w, l, $"[{l.Inputs}, {l.Width}]", "");
        if (l.HasSlopes) w.Line($"private const int {w.Declare(Slope, l)} = {N(l.SlopeOffset)}; // PReLU slope [{l.SlopeCount}]");
    }

    public override string Layout(LayerShape l) =>
        $"new global::Functional.DenseLayout({N(l.Inputs)}, {N(l.Outputs)}, {N(l.Pieces)}, {N(l.WeightsOffset)}, {N(l.BiasOffset)}, {N(l.GammaOffset)}, {N(l.BetaOffset)}, {N(l.SlopeOffset)}, {N(l.SlopeCount)}, {N(l.RunningMeanOffset)}, {N(l.RunningVarianceOffset)})";

    public override string View(LayerShape l) => $"new global::Functional.Dense(parameters, buffers, {Layout(l)})";

    public override void EmitInit(SourceWriter w, LayerShape l)
    {
        w.Line($"global::Functional.Initializers.Fill({Span("parameters", $"{Weights.Of(l)}", $"{N(l.Inputs)} * {N(l.Width)}")}, weights ?? global::Functional.Dsl.Init.{l.Init}, " +
               $"fanIn: {N(l.Inputs)}, fanOut: {N(l.Width)}, smallStd: weights is null ? h[{N(l.Index)}].InitStd : smallStd, random);");
        if (l.HasBias) w.Line($"{Span("parameters", $"{Bias.Of(l)}", N(l.Width))}.Fill(h[{N(l.Index)}].BiasInit);");
        if (l.BatchNorm is not null) w.Line($"{Span("parameters", $"{Gamma.Of(l)}", N(l.Width))}.Fill(1f);");
        if (l.HasSlopes) w.Line($"{Span("parameters", $"{Slope.Of(l)}", N(l.SlopeCount))}.Fill(h[{N(l.Index)}].PReluInitialSlope);");
    }

    // ── Workspace ───────────────────────────────────────────────────────────────────────────────

    public override void EmitBuffers(LayerShape l, WorkspaceBuffer buffer)
    {
        string units = N(l.Outputs), width = N(l.Width);
        if (!l.IsLast) buffer(Output, units, $"{Own(l.Name)} output, [B, {units}]: the next layer's input, saved for backward.");
        if (l.IsFused)
        {
            if (l.KeepsInput) buffer(Z, width, $"{Own(l.Name)} product x·W + b, [B, {width}]: {l.ActivationLabel}′ reads it.");
            if (!l.IsLast) buffer(Gradient, units, $"∂loss/∂ of {Own(l.Name)} pre-activation, [B, {units}].");
            return;
        }
        if (l.NeedsZ)
            buffer(Z, width, $"{Own(l.Name)} product x·W{(l.HasBias ? " + b" : "")}, [B, {width}]{(l.KeepsInput && !l.NeedsSeparateU ? $": {l.ActivationLabel}′ reads it" : "")}.");
        if (l.BatchNorm is not null)
        {
            buffer(XHat, width, $"{Own(l.Name)} normalised pre-activation x̂, [B, {width}]: saved for backward.");
            buffer(InvStd, width, $"{Own(l.Name)} batch 1/√(σ² + ε), [{width}].", perRow: false);
            buffer(Statistics, N(2 * l.Width), $"{Own(l.Name)} batch mean and variance (scratch), [2 × {width}].", perRow: false);
            buffer(NoBias, width, $"Zeros for the product's bias slot: batch norm's β replaces the bias, [{width}].", perRow: false);
        }
        if (l.NeedsSeparateU) buffer(U, width, $"{Own(l.Name)} batch-normalised pre-activation γ·x̂ + β, [B, {width}].");
        if (l.Dropout is not null)
        {
            buffer(A, units, $"{Own(l.Name)} activation before dropout, [B, {units}].");
            buffer(Mask, units, $"{Own(l.Name)} dropout mask (0 or 1/(1 − p)), [B, {units}].");
        }
        if (!l.IsLast) buffer(OutputGradient, units, $"∂loss/∂ of {Own(l.Name)} output, [B, {units}]; turned into ∂loss/∂(x·W) in place.");
        if (l.HasOwnPass) l.Activation!.OwnBuffers(l, buffer);
    }

    /// <summary>The activation's input as kept for its derivative or own pass: the batch-normalised u, or the product z.</summary>
    private static string ActivationInput(LayerShape l) => l.NeedsSeparateU ? $"ws.{U.Of(l)}" : $"ws.{Z.Of(l)}";

    // ── The forward/backward pair ───────────────────────────────────────────────────────────────

    public override void EmitPair(SourceWriter w, NetworkShape net, LayerShape l)
    {
        string title = $"// ── {l.Name}: dense {l.Inputs} → {l.Width}{(l.BatchNorm is null ? "" : ", batch norm")}, {l.ActivationLabel}{(l.Dropout is null ? "" : ", dropout")} ";
        w.Line(title + new string('─', System.Math.Max(4, 110 - title.Length)));
        string y = $"y [B, {l.Outputs}]";
        if (l.IsFused)
        {
            string product = $"x [B, {l.Inputs}] · W [{l.Inputs}, {l.Width}] + b";
            w.Line(l.Activation is null
                ? $"// forward:  {product} → {y}   (bias added in the product's store)"
                : l.KeepsInput
                    ? $"// forward:  {product} → z [B, {l.Width}] → {l.ActivationLabel} → {y}   (bias and activation fused into the product's store, which also keeps z for {l.ActivationLabel}′)"
                    : $"// forward:  {product} → {l.ActivationLabel} → {y}   (bias and activation fused into the product's store)");
            string kept = l.KeepsInput ? $"{Rw} z, " : "";
            w.Line($"private static void {w.Declare(Forward, l)}({Ro} p, {Ro} x, {kept}{Rw} y, int batch{(l.HasActivationParameter ? $", {LayerH} h" : "")})");
            w.Line($"    => {WithActivation($"{Kernels}.Gemm.Forward", l, $"x, {W(l, "p")}, {B(l, "p")}, {(l.KeepsInput ? "z, " : "")}y, batch, {N(l.Inputs)}, {N(l.Width)}", "h")};");
            w.Line();
            w.Line(l.Activation is null
                ? $"// backward: dz [B, {l.Width}] = ∂loss/∂y (no activation, so also ∂loss/∂(x·W + b))"
                : $"// backward: dz [B, {l.Width}] = ∂loss/∂(x·W + b), {l.ActivationLabel}′ already applied");
        }
        else
        {
            EmitStagedForward(w, l);
            EmitStagedBackwardHead(w, l);
        }
        EmitGradients(w, net, l);
        w.Line();
    }

    /// <summary>
    /// Forwards for a layer whose activation cannot ride in the product's store (batch norm, an own-pass activation,
    /// dropout): one for training (batch statistics, dropout) and one for inference (running statistics, no dropout),
    /// so the two modes cannot be mixed up.
    /// </summary>
    private static void EmitStagedForward(SourceWriter w, LayerShape l)
    {
        string act = l.ActivationLabel;
        int units = l.Outputs, width = l.Width;
        string product = $"x [B, {l.Inputs}] · W [{l.Inputs}, {width}]{(l.HasBias ? " + b" : "")}";
        string u = ActivationInput(l);
        string bias = l.HasBias ? B(l, "p") : $"ws.{NoBias.Of(l)}";
        string GammaBeta() => $"p.Slice({Gamma.Of(l)}, {N(width)}), p.Slice({Beta.Of(l)}, {N(width)})";
        string Running() => $"buffers.Slice({RunningMean.Of(l)}, {N(width)}), buffers.Slice({RunningVariance.Of(l)}, {N(width)})";
        // Batch norm fuses an activation whose derivative reads its output into its pass; the others follow it in their own.
        bool activationInBatchNorm = l.IsPointwise && !l.KeepsInput;
        string BatchNormCall(string method, string args) => activationInBatchNorm
            ? WithActivation($"{Kernels}.BatchNorm.{method}", l, args, "h")
            : $"{Kernels}.BatchNorm.{method}<{Kernels}.Identity>({args})";
        string FusedProduct(string into) => WithActivation($"{Kernels}.Gemm.Forward", l,
            $"x, {W(l, "p")}, {B(l, "p")}, {(l.KeepsInput ? $"ws.{Z.Of(l)}, " : "")}{into}, batch, {N(l.Inputs)}, {N(width)}", "h");
        string RawProduct() => $"{Kernels}.Gemm.Forward<{Kernels}.Identity>(x, {W(l, "p")}, {bias}, ws.{Z.Of(l)}, batch, {N(l.Inputs)}, {N(width)});";
        // After batch norm, an activation that reads its input again has a pass of its own from the kept u.
        void ActivationAfterBatchNorm(string into)
        {
            if (l.HasOwnPass) w.Line(l.Activation!.OwnForward(l, u, into));
            else if (l.KeepsInput) w.Line(WithActivation($"{Kernels}.ActivationPass.Forward", l, $"{Span(u, "0", $"batch * {N(width)}")}, {into}", "h") + ";");
        }

        w.Line($"// forward (training):  {product}" + (l.BatchNorm is not null ? " → batch norm with the batch's statistics" : "")
            + $" → {act}" + (l.Dropout is null ? "" : " → dropout") + $" → y [B, {units}]");
        if (l.Dropout is not null)
            w.Line(l.IsDropoutOnly
                ? "//                      with p = 0 (a run-time value) the product writes y and no mask is drawn, exactly as a fused layer's"
                : "//                      with p = 0 (a run-time value) the activation writes y and no mask is drawn");
        string hParameter = ForwardNeedsH(l, Mode.Training) ? $", {LayerH} h" : "";
        using (w.Block($"private static void {w.Declare(ForwardTraining, l)}({Ro} p, {Rw} buffers, {Ro} x, {Rw} y, Workspace ws, int batch, long dropoutSeed{hParameter})"))
        {
            string a = "y";
            if (l.IsDropoutOnly)
            {
                using (w.Block("if (h.Dropout == 0f)"))
                {
                    w.Line(FusedProduct("y") + ";");
                    w.Line("return;");
                }
                a = $"ws.{A.Of(l)}";
            }
            else if (l.Dropout is not null)
            {
                w.Line($"{Rw} a = h.Dropout == 0f ? y : ws.{A.Of(l)};");
                a = "a";
            }
            w.Line(l.ActivationInProduct ? FusedProduct(a) + ";" : RawProduct());
            if (l.BatchNorm is not null)
                w.Line(BatchNormCall("ForwardTraining", $"ws.{Z.Of(l)}, ws.{XHat.Of(l)}, ws.{InvStd.Of(l)}, {(activationInBatchNorm ? a : u)}, {GammaBeta()}, " +
                       $"{Running()}, ws.{Statistics.Of(l)}, batch, {N(width)}, h.BatchNormMomentum, h.BatchNormEpsilon") + ";");
            if (!l.ActivationInProduct) ActivationAfterBatchNorm(a);
            if (l.Dropout is not null)
                w.Line((l.IsDropoutOnly ? "" : "if (h.Dropout != 0f) ") +
                       $"{Kernels}.Dropout.Forward({Span($"ws.{A.Of(l)}", "0", $"batch * {N(units)}")}, {Span($"ws.{Mask.Of(l)}", "0", $"batch * {N(units)}")}, y, h.Dropout, " +
                       $"{Kernels}.Dropout.Mix(dropoutSeed, {N(l.Index)}));");
        }
        w.Line();
        w.Line($"// forward (inference): {product}" + (l.BatchNorm is not null ? " → batch norm with the running statistics" : "")
            + $" → {act} → y [B, {units}]" + (l.Dropout is null ? "" : "   (no dropout at inference)"));
        hParameter = ForwardNeedsH(l, Mode.Inference) ? $", {LayerH} h" : "";
        using (w.Block($"private static void {w.Declare(ForwardInference, l)}({Ro} p, {Ro} buffers, {Ro} x, {Rw} y, Workspace ws, int batch{hParameter})"))
        {
            w.Line(l.ActivationInProduct ? FusedProduct("y") + ";" : RawProduct());
            if (l.BatchNorm is not null)
                w.Line(BatchNormCall("ForwardInference", $"ws.{Z.Of(l)}, {(activationInBatchNorm ? "y" : u)}, {GammaBeta()}, {Running()}, ws.{Statistics.Of(l)}, batch, {N(width)}, h.BatchNormEpsilon") + ";");
            if (!l.ActivationInProduct) ActivationAfterBatchNorm("y");
        }
        w.Line();
    }

    /// <summary>The staged layer's backward up to ∂loss/∂(x·W): undo dropout, the activation, batch norm — each in its own pass.</summary>
    private static void EmitStagedBackwardHead(SourceWriter w, LayerShape l)
    {
        var steps = new List<string>();
        if (l.Dropout is not null) steps.Add("dy ⊙ mask");
        if (l.Activation is not null) steps.Add(l.Activation.BackwardStep(l.ActivationSpec!, l.BatchNorm is null ? "z" : "u"));
        if (l.BatchNorm is not null) steps.Add("batch norm's backward (and γ's, β's gradients)");
        w.Line($"// backward: dy [B, {l.Outputs}] = ∂loss/∂y → {string.Join(" → ", steps)} → dz [B, {l.Width}] = ∂loss/∂(x·W{(l.HasBias ? " + b" : "")})");
    }

    private static void EmitGradients(SourceWriter w, NetworkShape net, LayerShape l)
    {
        w.Line($"//           dW [{l.Inputs}, {l.Width}] = xᵀ · dz{(l.HasBias ? $";  db [{l.Width}] = Σ_B dz" : "")}");
        var below = l.IsFirst ? null : net.Layers[l.Index - 1];
        if (below is null)
            w.Line("//           first layer: nothing flows on to the inputs");
        else if (below.IsFused && below.Activation is null)
            w.Line($"//           dx [B, {l.Inputs}] = dz · Wᵀ: {below.Name} is linear, so this is already its dz");
        else if (below.IsFused && below.KeepsInput)
            w.Line($"//           dx [B, {l.Inputs}] = (dz · Wᵀ) ⊙ {below.ActivationLabel}′(z): z is {Own(below.Name)} kept pre-activation, its derivative fused into the product");
        else if (below.IsFused)
            w.Line($"//           dx [B, {l.Inputs}] = (dz · Wᵀ) ⊙ {below.ActivationLabel}′(x): x is {Own(below.Name)} saved output, its derivative fused into the product");
        else
            w.Line($"//           dx [B, {l.Inputs}] = dz · Wᵀ: ∂loss/∂ of {Own(below.Name)} output, which {Own(below.Name)} own backward carries on");
        w.Line($"//           dW gains λW (L2). A fused optimizer updates W once dW is complete (at batch 1 as it is formed){(below is null ? "" : ", so dx comes first")},");
        w.Line("//           and each smaller tensor likewise; with none, every gradient is written to dp.");

        var parameters = new List<string> { $"{Ro} p", $"{Rw} dp" };
        if (!l.IsFused) parameters.Add("Workspace ws");
        parameters.Add($"{Ro} x");
        parameters.Add(l.IsFused ? $"{Ro} dz" : $"{Rw} dy");
        if (below is not null) parameters.Add($"{Rw} dx");
        if (below is not null && FusesInput(below)) parameters.Add($"{Ro} zBelow");
        parameters.Add("int batch");
        parameters.Add("float l2");
        parameters.Add($"{Update} update");
        if (BackwardNeedsH(l)) parameters.Add($"{LayerH} h");
        if (below is not null && NeedsBelow(below)) parameters.Add($"{LayerH} below");
        using (w.Block($"private static void {w.Declare(Backward, l)}({string.Join(", ", parameters)})"))
        {
            string dz = "dz";
            if (!l.IsFused) EmitStagedBackward(w, l);
            if (below is not null)
            {
                string args = $"{dz}, {W(l, "p")}, x, dx, batch, {N(l.Inputs)}, {N(l.Width)}";
                // The derivative below reads what its activation keeps: its output, which is this layer's x, or its input z.
                string fused = WithActivation($"{Kernels}.Gemm.InputGradient", below, FusesInput(below) ? $"{dz}, {W(l, "p")}, zBelow, dx, batch, {N(l.Inputs)}, {N(l.Width)}" : args, "below");
                string separate = $"{Kernels}.Gemm.InputGradient<{Kernels}.Identity>({args});";
                if (below.IsDropoutOnly)
                {
                    w.Line($"if (below.Dropout == 0f) {fused}; // {below.Name} has no dropout to undo: fuse its derivative here");
                    w.Line($"else {separate}");
                }
                else
                    w.Line(below.IsFused ? fused + ";" : separate);
            }
            w.Line($"{Kernels}.Gemm.WeightGradient(x, {dz}, {W(l, "p")}, {W(l, "dp")}, batch, {N(l.Inputs)}, {N(l.Width)}, l2, update.Slice({Weights.Of(l)}, {N(l.Inputs)} * {N(l.Width)}));");
            if (l.HasBias) w.Line($"{Kernels}.Gemm.BiasGradient({dz}, {B(l, "dp")}, batch, {N(l.Width)});");
            foreach (var (offset, length) in SmallTensors(l))
                w.Line($"update.Slice({offset}, {length}).Apply(dp.Slice({offset}, {length}));");
        }
    }

    /// <summary>A staged layer's passes from dy back to dz, which it declares: dropout, the activation, batch norm.</summary>
    private static void EmitStagedBackward(SourceWriter w, LayerShape l)
    {
        int units = l.Outputs, width = l.Width;
        w.Line($"var dyRows = dy.Slice(0, batch * {N(units)});");
        string saved = l.IsLast ? "ws.Scores" : $"ws.{Output.Of(l)}";
        string u = ActivationInput(l);
        string Derivative(string from) => WithActivation($"{Kernels}.ActivationPass.BackwardInPlace", l, $"dyRows, {from}", "h") + ";";
        if (l.IsDropoutOnly)
        {
            w.Line("// with p = 0 the layer above fused this activation's derivative into its product: dy is already dz");
            using (w.Block("if (h.Dropout != 0f)"))
            {
                w.Line($"{Kernels}.Dropout.Backward(dyRows, ws.{Mask.Of(l)});");
                if (l.Activation is not null) w.Line(Derivative(l.KeepsInput ? u : $"ws.{A.Of(l)}"));
            }
        }
        else
        {
            if (l.Dropout is not null) w.Line($"if (h.Dropout != 0f) {Kernels}.Dropout.Backward(dyRows, ws.{Mask.Of(l)});");
            if (l.KeepsInput) w.Line(Derivative(u));
            else if (l.IsPointwise && l.Activation is not null)
                w.Line(Derivative(l.Dropout is not null ? $"h.Dropout == 0f ? {saved} : ws.{A.Of(l)}" : saved));
        }
        string pre = l.HasOwnPass ? l.Activation!.OwnBackward(w, l, "dyRows", u) : "dyRows";
        if (l.BatchNorm is not null)
            w.Line($"{Kernels}.BatchNorm.Backward({pre}, ws.{XHat.Of(l)}, ws.{InvStd.Of(l)}, p.Slice({Gamma.Of(l)}, {N(width)}), dp.Slice({Gamma.Of(l)}, {N(width)}), dp.Slice({Beta.Of(l)}, {N(width)}), batch, {N(width)});");
        w.Line($"{Ro} dz = {pre};");
    }

    /// <summary>The layer's parameter tensors besides W, as (offset constant, length): updated once backward is done with them.</summary>
    private static IEnumerable<(string Offset, string Length)> SmallTensors(LayerShape l)
    {
        if (l.HasBias) yield return ($"{Bias.Of(l)}", N(l.Width));
        if (l.HasSlopes) yield return ($"{Slope.Of(l)}", N(l.SlopeCount));
        if (l.BatchNorm is not null)
        {
            yield return ($"{Gamma.Of(l)}", N(l.Width));
            yield return ($"{Beta.Of(l)}", N(l.Width));
        }
    }

    // ── Calls from the inference loop and the training step: LayerKind's, shared with the convolution ──

    // ── Reference ──────────────────────────────────────────────────────────────────────────────

    public override void EmitReference(SourceWriter w, LayerShape l, string input, string v)
    {
        string h = $"h[{N(l.Index)}]";
        w.Line($"var {v} = {Kernels}.Reference.Dense({input}, parameters, {Weights.Of(l)}, {(l.HasBias ? $"{Bias.Of(l)}" : "-1")}, count, {N(l.Inputs)}, {N(l.Width)}, {Kernels}.Reference.Identity);");
        if (l.BatchNorm is not null) w.Line(BatchNormStage.Reference(l, v, h));
        if (l.Activation is not null) w.Line(l.Activation.Reference(l, v, h));
        if (l.Dropout is not null) w.Line(DropoutStage.Reference(l, v, h));
    }
}
