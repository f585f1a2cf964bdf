// The convolution layer's part of the generated record: offsets, shapes, init, workspace, its forward/backward pair and its reference.
using System.Collections.Generic;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using static Functional.Generators.Emitting.Code;
using static Functional.Generators.Emitting.GeneratedMembers;

namespace Functional.Generators.Kinds.Layers;

internal sealed partial class Conv2d
{
    private static string Square(int k) => $"{N(k)}×{N(k)}";

    private static string PoolWords(PoolSpec p) =>
        $"{(p.Kind == PoolKind.Max ? "max" : "average")}-pool {Square(p.Size)} stride {N(p.Step)}";

    /// <summary>"conv [1, 28, 28] → [16, 28, 28], 16 filters 5×5, stride 1, padding 2".</summary>
    private static string Convolution(LayerShape l) =>
        $"conv {l.Input} → {l.Convolved}, {N(l.Width)} filters {Square(l.Conv!.Kernel)}, stride {N(l.Conv.Stride)}, padding {N(l.Conv.Padding)}";

    public override string Describe(LayerShape l)
    {
        var parts = new List<string> { Convolution(l) };
        if (l.BatchNorm is not null) parts.Add("batch norm per channel (γ, β; no bias)");
        parts.Add(l.ActivationLabel);
        if (l.Pool is { } pool) parts.Add($"{PoolWords(pool)} → {l.Output}");
        if (l.Dropout is float p) parts.Add($"dropout p = {Number(p)} (training only; 0 at run time skips it)");
        return $"{string.Join(", ", parts)}; {l.Init} init (fan-in C·K·K = {N(l.PatchSize)}){(l.IsFused ? "" : "; staged (not fused into the product)")}";
    }

    // ── Layout and construction ────────────────────────────────────────────────────────────────

    public override void EmitOffsets(SourceWriter w, LayerShape l)
    {
        var c = l.Conv!;
        EmitTensorOffsets(w, l, $"[{l.Width}, {l.Input.Channels}, {c.Kernel}, {c.Kernel}]", ", one per channel");
    }

    private static string PoolingKindName(LayerShape l) => l.Pool switch
    {
        { Kind: PoolKind.Max } => "Max",
        { Kind: PoolKind.Avg } => "Average",
        _ => "None",
    };

    public override string Layout(LayerShape l)
    {
        var c = l.Conv!;
        var p = l.Pool;
        return $"new global::Functional.Conv2dLayout({N(l.Input.Channels)}, {N(l.Input.Height)}, {N(l.Input.Width)}, {N(l.Width)}, {N(c.Kernel)}, {N(c.Stride)}, {N(c.Padding)}, " +
               $"global::Functional.PoolingKind.{PoolingKindName(l)}, {N(p?.Size ?? 0)}, {N(p?.Step ?? 0)}, " +
               $"{N(l.WeightsOffset)}, {N(l.BiasOffset)}, {N(l.GammaOffset)}, {N(l.BetaOffset)}, {N(l.RunningMeanOffset)}, {N(l.RunningVarianceOffset)})";
    }

    public override string View(LayerShape l) => $"new global::Functional.Conv2d(parameters, buffers, {Layout(l)})";

    public override void EmitInit(SourceWriter w, LayerShape l)
    {
        // PyTorch's fans for a convolution: fan_in = C·K·K, fan_out = F·K·K.
        int k = l.Conv!.Kernel;
        w.Line($"global::Functional.Initializers.Fill({Span("parameters", $"{Weights.Of(l)}", l.WeightCountText)}, weights ?? global::Functional.Dsl.Init.{l.Init}, " +
               $"fanIn: {N(l.PatchSize)}, fanOut: {N(l.Width * k * k)}, smallStd: weights is null ? h[{N(l.Index)}].InitStd : smallStd, random);");
        if (l.HasBias) w.Line($"{Span("parameters", $"{Bias.Of(l)}", N(l.Width))}.Fill(h[{N(l.Index)}].BiasInit);");
        if (l.BatchNorm is not null) w.Line($"{Span("parameters", $"{Gamma.Of(l)}", N(l.Width))}.Fill(1f);");
    }

    // ── Workspace ───────────────────────────────────────────────────────────────────────────────

    public override void EmitBuffers(LayerShape l, WorkspaceBuffer buffer)
    {
        string outputs = N(l.Outputs), convolved = N(l.Convolved.Size);
        if (!l.IsLast) buffer(Output, outputs, $"{Own(l.Name)} output, [B, {l.Output.Channels}, {l.Output.Height}, {l.Output.Width}]: the next layer's input, saved for backward.");
        if (l.IsFused)
        {
            if (!l.IsLast) buffer(Gradient, outputs, $"∂loss/∂ of {Own(l.Name)} pre-activation, [B, {outputs}].");
            return;
        }
        if (NeedsZ(l)) buffer(Z, convolved, $"{Own(l.Name)} convolution conv(x, W){(l.HasBias ? " + b" : "")}, [B, {convolved}]{(l.KeepsInput && l.BatchNorm is null ? $": {l.ActivationLabel}′ reads it" : "")}.");
        if (l.BatchNorm is not null)
        {
            buffer(XHat, convolved, $"{Own(l.Name)} normalised convolution x̂ (per channel), [B, {convolved}]: saved for backward.");
            buffer(InvStd, N(l.Width), $"{Own(l.Name)} batch 1/√(σ² + ε) per channel, [{l.Width}].", perRow: false);
            buffer(Statistics, N(2 * l.Width), $"{Own(l.Name)} batch mean and variance per channel (scratch), [2 × {l.Width}].", perRow: false);
            if (l.KeepsInput) buffer(U, convolved, $"{Own(l.Name)} batch-normalised convolution γ·x̂ + β, [B, {convolved}]: {l.ActivationLabel}′ reads it.");
        }
        if (l.Pool is { } pool)
        {
            buffer(Activated, convolved, $"{Own(l.Name)} activation before pooling, [B, {convolved}]: pooling reads it, and backward the activation's derivative.");
            buffer(ActivatedGradient, convolved, $"∂loss/∂ of {Own(l.Name)} activation before pooling, [B, {convolved}].");
            if (pool.Kind == PoolKind.Max) buffer(Indices, outputs, $"Where each of {Own(l.Name)} max-pool outputs came from (index in its plane), [B, {outputs}].", type: "int");
        }
        if (l.Dropout is not null)
        {
            buffer(A, outputs, $"{Own(l.Name)} output before dropout, [B, {outputs}].");
            buffer(Mask, outputs, $"{Own(l.Name)} dropout mask (0 or 1/(1 − p)), [B, {outputs}].");
        }
        if (!l.IsLast) buffer(OutputGradient, outputs, $"∂loss/∂ of {Own(l.Name)} output, [B, {outputs}]; turned into ∂loss/∂(conv + b) in place or beside it.");
    }

    /// <summary>The convolution's raw output is kept when the activation cannot ride in its store: batch norm reads it, or the activation reads its input (GELU, SiLU).</summary>
    private static bool NeedsZ(LayerShape l) => !l.IsFused && (l.KeepsInput || l.BatchNorm is not null);

    /// <summary>What an activation that reads its input (GELU, SiLU) is given: the batch-normalised u, or the convolution's z.</summary>
    private static string ActivationInput(LayerShape l) => l.BatchNorm is null ? $"ws.{Z.Of(l)}" : $"ws.{U.Of(l)}";

    // ── The forward/backward pair ───────────────────────────────────────────────────────────────

    private static string Image(TensorShape s) => $"[B, {s.Channels}, {s.Height}, {s.Width}]";

    public override void EmitPair(SourceWriter w, NetworkShape net, LayerShape l)
    {
        var c = l.Conv!;
        string title = $"// ── {l.Name}: conv {l.Input.Channels} → {l.Width}, {Square(c.Kernel)}, stride {c.Stride}, padding {c.Padding}{(l.BatchNorm is null ? "" : ", batch norm")}, {l.ActivationLabel}"
                       + (l.Pool is { } p ? $", {PoolWords(p)}" : "") + (l.Dropout is null ? "" : ", dropout") + " ";
        w.Line(title + new string('─', System.Math.Max(4, 110 - title.Length)));
        // One image's shapes; every call takes WithBatch(batch), which checks the sizes again (a few integer operations).
        w.Line($"private static readonly {Kernels}.Conv2dShape {w.Declare(ConvolutionShape, l)} = new(1, {N(l.Input.Channels)}, {N(l.Input.Height)}, {N(l.Input.Width)}, {N(l.Width)}, {N(c.Kernel)}, {N(c.Kernel)}, {N(c.Stride)}, {N(c.Padding)});");
        if (l.Pool is { } pool)
            w.Line($"private static readonly {Kernels}.Pool2dShape {w.Declare(PoolingShape, l)} = new(1, {N(l.Width)}, {N(l.Convolved.Height)}, {N(l.Convolved.Width)}, {N(pool.Size)}, {N(pool.Step)});");
        string product = $"x {Image(l.Input)} ∗ W [{l.Width}, {l.Input.Channels}, {c.Kernel}, {c.Kernel}]{(l.HasBias ? " + b" : "")}";
        string shape = $"{ConvolutionShape.Of(l)}.WithBatch(batch)";
        if (l.IsFused)
        {
            w.Line(l.Activation is null
                ? $"// forward:  {product} → y {Image(l.Output)}   (bias added in the product's store)"
                : $"// forward:  {product} → {l.ActivationLabel} → y {Image(l.Output)}   (bias and activation fused into the product's store)");
            w.Line($"private static void {w.Declare(Forward, l)}({Ro} p, {Ro} x, {Rw} y, int batch{(l.HasActivationParameter ? $", {LayerH} h" : "")})");
            w.Line($"    => {WithActivation($"{Kernels}.Convolution.Forward", l, $"x, {W(l, "p")}, {B(l, "p")}, y, {shape}", "h")};");
            w.Line();
            w.Line(l.Activation is null
                ? $"// backward: dz {Image(l.Output)} = ∂loss/∂y (no activation, so also ∂loss/∂(x ∗ W + b))"
                : $"// backward: dz {Image(l.Output)} = ∂loss/∂(x ∗ W + b), {l.ActivationLabel}′ already applied by the layer above");
        }
        else
        {
            EmitStagedForward(w, l, product, shape, Mode.Training);
            EmitStagedForward(w, l, product, shape, Mode.Inference);
            var steps = new List<string>();
            if (l.Dropout is not null) steps.Add("dy ⊙ mask");
            if (l.Pool is { } pl) steps.Add(pl.Kind == PoolKind.Max ? "to each window's winner" : "spread over each window");
            if (l.Activation is not null) steps.Add(l.Activation.BackwardStep(l.ActivationSpec!, l.BatchNorm is null ? "z" : "u"));
            if (l.BatchNorm is not null) steps.Add("batch norm's backward per channel (and γ's, β's gradients)");
            w.Line($"// backward: dy {Image(l.Output)} = ∂loss/∂y → {string.Join(" → ", steps)} → dz {Image(l.Convolved)} = ∂loss/∂(x ∗ W{(l.HasBias ? " + b" : "")})");
        }
        EmitGradients(w, net, l);
        w.Line();
    }

    /// <summary>
    /// A staged layer's forward for one mode: the convolution (with the activation in its store when it reads its
    /// output), the activation's own pass when it reads its input, pooling, then dropout in training.
    /// </summary>
    private static void EmitStagedForward(SourceWriter w, LayerShape l, string product, string shape, Mode mode)
    {
        bool training = mode == Mode.Training;
        bool dropout = training && l.Dropout is not null;
        var flow = new List<string> { product };
        if (l.BatchNorm is not null) flow.Add(training ? "batch norm per channel with the batch's statistics" : "batch norm per channel with the running statistics");
        else if (l.KeepsInput) flow.Add($"z {Image(l.Convolved)}");
        flow.Add(l.ActivationLabel);
        if (l.Pool is { } p) flow.Add($"{Image(l.Convolved)} → {PoolWords(p)}");
        if (dropout) flow.Add("dropout");
        w.Line($"// forward ({(training ? "training" : "inference")}){(training ? ": " : ":")} {string.Join(" → ", flow)} → y {Image(l.Output)}"
               + (!training && l.Dropout is not null ? "   (no dropout at inference)" : ""));
        if (dropout) w.Line("//                      with p = 0 (a run-time value) the last pass writes y and no mask is drawn");
        string hParameter = ForwardNeedsH(l, mode) ? $", {LayerH} h" : "";
        string signature = training
            ? $"private static void {w.Declare(ForwardTraining, l)}({Ro} p, {Rw} buffers, {Ro} x, {Rw} y, Workspace ws, int batch, long dropoutSeed{hParameter})"
            : $"private static void {w.Declare(ForwardInference, l)}({Ro} p, {Ro} buffers, {Ro} x, {Rw} y, Workspace ws, int batch{hParameter})";
        using (w.Block(signature))
        {
            string last = "y";
            if (dropout)
            {
                w.Line($"{Rw} a = h.Dropout == 0f ? y : ws.{A.Of(l)};");
                last = "a";
            }
            string activated = l.Pool is null ? last : $"ws.{Activated.Of(l)}";
            if (l.BatchNorm is not null)
            {
                int F = l.Width;
                string gammaBeta = $"p.Slice({Gamma.Of(l)}, {N(F)}), p.Slice({Beta.Of(l)}, {N(F)})";
                string running = $"buffers.Slice({RunningMean.Of(l)}, {N(F)}), buffers.Slice({RunningVariance.Of(l)}, {N(F)})";
                string sizes = $"batch, {N(F)}, {N(l.Convolved.Height * l.Convolved.Width)}";
                string into = l.KeepsInput ? ActivationInput(l) : activated;
                w.Line($"{Kernels}.Convolution.Forward<{Kernels}.Identity>(x, {W(l, "p")}, default, ws.{Z.Of(l)}, {shape});");
                string args = training
                    ? $"ws.{Z.Of(l)}, ws.{XHat.Of(l)}, ws.{InvStd.Of(l)}, {into}, {gammaBeta}, {running}, ws.{Statistics.Of(l)}, {sizes}, h.BatchNormMomentum, h.BatchNormEpsilon"
                    : $"ws.{Z.Of(l)}, {into}, {gammaBeta}, {running}, ws.{Statistics.Of(l)}, {sizes}, h.BatchNormEpsilon";
                string kernel = $"{Kernels}.BatchNorm.Channels{(training ? "ForwardTraining" : "ForwardInference")}";
                // Batch norm fuses an activation whose derivative reads its output; one that reads its input follows from the kept u.
                w.Line(l.KeepsInput ? $"{kernel}<{Kernels}.Identity>({args});" : WithActivation(kernel, l, args, "h") + ";");
                if (l.KeepsInput)
                    w.Line(WithActivation($"{Kernels}.ActivationPass.Forward", l, $"{Span(ActivationInput(l), "0", $"batch * {N(l.Convolved.Size)}")}, {activated}", "h") + ";");
            }
            else if (l.KeepsInput)
            {
                w.Line($"{Kernels}.Convolution.Forward<{Kernels}.Identity>(x, {W(l, "p")}, {B(l, "p")}, ws.{Z.Of(l)}, {shape});");
                w.Line(WithActivation($"{Kernels}.ActivationPass.Forward", l, $"{Span($"ws.{Z.Of(l)}", "0", $"batch * {N(l.Convolved.Size)}")}, {activated}", "h") + ";");
            }
            else
                w.Line(WithActivation($"{Kernels}.Convolution.Forward", l, $"x, {W(l, "p")}, {B(l, "p")}, {activated}, {shape}", "h") + ";");
            if (l.Pool is { } pool)
            {
                string pooling = $"{PoolingShape.Of(l)}.WithBatch(batch)";
                w.Line(pool.Kind == PoolKind.Max
                    ? $"{Kernels}.MaxPool2d.Forward({activated}, {last}, {(training ? $"ws.{Indices.Of(l)}" : "default")}, {pooling});"
                    : $"{Kernels}.AvgPool2d.Forward({activated}, {last}, {pooling});");
            }
            if (dropout)
                w.Line($"if (h.Dropout != 0f) {Kernels}.Dropout.Forward({Span($"ws.{A.Of(l)}", "0", $"batch * {N(l.Outputs)}")}, {Span($"ws.{Mask.Of(l)}", "0", $"batch * {N(l.Outputs)}")}, y, h.Dropout, " +
                       $"{Kernels}.Dropout.Mix(dropoutSeed, {N(l.Index)}));");
        }
        w.Line();
    }

    private static void EmitGradients(SourceWriter w, NetworkShape net, LayerShape l)
    {
        var c = l.Conv!;
        w.Line($"//           dW [{l.Width}, {l.Input.Channels}, {c.Kernel}, {c.Kernel}] = Σ_B dz ⋆ x (each weight's products summed over images and pixels){(l.HasBias ? $";  db [{l.Width}] = Σ_B,pixels dz" : "")}");
        var below = l.IsFirst ? null : net.Layers[l.Index - 1];
        if (below is null)
            w.Line("//           first layer: nothing flows on to the inputs");
        else if (below.IsFused && below.Activation is null)
            w.Line($"//           dx {Image(l.Input)} = dz ∗ᵀ W (col2im): {below.Name} is linear, so this is already its dz");
        else if (below.IsFused)
            w.Line($"//           dx {Image(l.Input)} = (dz ∗ᵀ W) ⊙ {below.ActivationLabel}′(x): x is {Own(below.Name)} saved output, its derivative applied as col2im's sums are stored");
        else
            w.Line($"//           dx {Image(l.Input)} = dz ∗ᵀ W: ∂loss/∂ of {Own(below.Name)} output, which {Own(below.Name)} own backward carries on");
        w.Line($"//           dW gains λW (L2). dx is formed first, from the old W; a fused optimizer then updates each filter's row of W as the");
        w.Line($"//           weight gradient writes it, and each smaller tensor once its gradient is complete; with none, every gradient is written to dp.");

        var parameters = new List<string> { $"{Ro} p", $"{Rw} dp" };
        if (!l.IsFused) parameters.Add("Workspace ws");
        parameters.Add($"{Ro} x");
        parameters.Add(l.IsFused ? $"{Ro} dz" : $"{Rw} dy");
        if (below is not null) parameters.Add($"{Rw} dx");
        parameters.Add("int batch");
        parameters.Add("float l2");
        parameters.Add($"{Update} update");
        if (BackwardNeedsH(l)) parameters.Add($"{LayerH} h");
        if (below is not null && NeedsBelow(below)) parameters.Add($"{LayerH} below");
        using (w.Block($"private static void {w.Declare(Backward, l)}({string.Join(", ", parameters)})"))
        {
            if (!l.IsFused) EmitStagedBackward(w, l);
            w.Line($"var shape = {ConvolutionShape.Of(l)}.WithBatch(batch);");
            if (below is not null)
                w.Line(below.IsFused
                    ? WithActivation($"{Kernels}.Convolution.InputGradient", below, $"dz, {W(l, "p")}, x, dx, shape", "below") + ";"
                    : $"{Kernels}.Convolution.InputGradient(dz, {W(l, "p")}, dx, shape);");
            w.Line($"{Kernels}.Convolution.WeightGradient(x, dz, {W(l, "p")}, {W(l, "dp")}, {(l.HasBias ? B(l, "dp") : "default")}, shape, l2, update.Slice({Weights.Of(l)}, {l.WeightCountText}));");
            if (l.HasBias) w.Line($"update.Slice({Bias.Of(l)}, {N(l.Width)}).Apply({B(l, "dp")});");
            if (l.BatchNorm is not null)
            {
                w.Line($"update.Slice({Gamma.Of(l)}, {N(l.Width)}).Apply(dp.Slice({Gamma.Of(l)}, {N(l.Width)}));");
                w.Line($"update.Slice({Beta.Of(l)}, {N(l.Width)}).Apply(dp.Slice({Beta.Of(l)}, {N(l.Width)}));");
            }
        }
    }

    /// <summary>A staged layer's passes from dy back to dz, which it declares: dropout, pooling, the activation.</summary>
    private static void EmitStagedBackward(SourceWriter w, LayerShape l)
    {
        int outputs = l.Outputs, convolved = l.Convolved.Size;
        w.Line($"var dyRows = dy.Slice(0, batch * {N(outputs)});");
        if (l.Dropout is not null) w.Line($"if (h.Dropout != 0f) {Kernels}.Dropout.Backward(dyRows, ws.{Mask.Of(l)});");
        // What the activation's derivative reads: its output (where forward left it) or its input z.
        string saved = l.IsLast ? "ws.Scores" : $"ws.{Output.Of(l)}";
        string output = l.Dropout is not null ? $"h.Dropout == 0f ? {saved} : ws.{A.Of(l)}" : saved;
        if (l.Pool is { } pool)
        {
            string pooling = $"{PoolingShape.Of(l)}.WithBatch(batch)";
            string before = $"{Span($"ws.{ActivatedGradient.Of(l)}", "0", $"batch * {N(convolved)}")}";
            if (l.KeepsInput || l.Activation is null)
            {
                w.Line(pool.Kind == PoolKind.Max
                    ? $"{Kernels}.MaxPool2d.Backward(dyRows, ws.{Indices.Of(l)}, {before}, {pooling});"
                    : $"{Kernels}.AvgPool2d.Backward(dyRows, {before}, {pooling});");
                if (l.KeepsInput) w.Line(WithActivation($"{Kernels}.ActivationPass.BackwardInPlace", l, $"{before}, {ActivationInput(l)}", "h") + ";");
            }
            else
                // The derivative reads the activation's output, which pooling's input is: applied as the gradient is routed back.
                w.Line(pool.Kind == PoolKind.Max
                    ? WithActivation($"{Kernels}.MaxPool2d.Backward", l, $"dyRows, ws.{Indices.Of(l)}, ws.{Activated.Of(l)}, {before}, {pooling}", "h") + ";"
                    : WithActivation($"{Kernels}.AvgPool2d.Backward", l, $"dyRows, ws.{Activated.Of(l)}, {before}, {pooling}", "h") + ";");
            EmitBatchNormBackward(w, l, before);
            w.Line($"{Ro} dz = {before};");
            return;
        }
        if (l.KeepsInput) w.Line(WithActivation($"{Kernels}.ActivationPass.BackwardInPlace", l, $"dyRows, {ActivationInput(l)}", "h") + ";");
        else if (l.Activation is not null) w.Line(WithActivation($"{Kernels}.ActivationPass.BackwardInPlace", l, $"dyRows, {output}", "h") + ";");
        EmitBatchNormBackward(w, l, "dyRows");
        w.Line($"{Ro} dz = dyRows;");
    }

    /// <summary>Per-channel batch norm's backward over <paramref name="du"/> (∂loss/∂u, turned into ∂loss/∂z in place), with γ's and β's gradients.</summary>
    private static void EmitBatchNormBackward(SourceWriter w, LayerShape l, string du)
    {
        if (l.BatchNorm is null) return;
        int F = l.Width;
        w.Line($"{Kernels}.BatchNorm.ChannelsBackward({du}, ws.{XHat.Of(l)}, ws.{InvStd.Of(l)}, p.Slice({Gamma.Of(l)}, {N(F)}), dp.Slice({Gamma.Of(l)}, {N(F)}), dp.Slice({Beta.Of(l)}, {N(F)}), " +
               $"batch, {N(F)}, {N(l.Convolved.Height * l.Convolved.Width)});");
    }

    // ── Reference ──────────────────────────────────────────────────────────────────────────────

    public override void EmitReference(SourceWriter w, LayerShape l, string input, string v)
    {
        string h = $"h[{N(l.Index)}]";
        w.Line($"var {v} = {Kernels}.Reference.Conv2d({input}, parameters, {Weights.Of(l)}, {(l.HasBias ? $"{Bias.Of(l)}" : "-1")}, {ConvolutionShape.Of(l)}.WithBatch(count), {Kernels}.Reference.Identity);");
        if (l.BatchNorm is not null)
            w.Line($"{v} = {Kernels}.Reference.BatchNormChannels({v}, parameters, {Gamma.Of(l)}, {Beta.Of(l)}, count, {N(l.Width)}, {N(l.Convolved.Height * l.Convolved.Width)}, {h}.BatchNormEpsilon);");
        if (l.Activation is not null) w.Line(l.Activation.Reference(l, v, h));
        if (l.Pool is { } pool)
            w.Line(pool.Kind == PoolKind.Max
                ? $"{v} = {Kernels}.Reference.MaxPool2d({v}, {PoolingShape.Of(l)}.WithBatch(count), out _);"
                : $"{v} = {Kernels}.Reference.AvgPool2d({v}, {PoolingShape.Of(l)}.WithBatch(count));");
        if (l.Dropout is not null) w.Line(DropoutStage.Reference(l, v, h));
    }

    public override string? ScoresDerivative(LayerShape last) => null;
}
