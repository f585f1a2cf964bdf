// The table of optimizers the optimizer tests run over: every rule and composition, each beside its naive PyTorch step.
using Functional.Optimizers;

namespace Functional.Tests.Optimizers;

/// <summary>An optimizer, the PyTorch step it should equal, and whether it needs <see cref="OptimizerCases.Layout"/> (a weight-decay mask).</summary>
internal sealed record OptimizerCase(string Name, Optimizer Optimizer, Func<NaiveOptimizer> Naive, bool NeedsLayout = false)
{
    /// <summary>The state before the first step for <paramref name="count"/> parameters (the layout's count when it needs one).</summary>
    public OptimizerState Init(int count) => NeedsLayout ? Optimizer.Init(OptimizerCases.Layout) : Optimizer.Init(count);

    /// <summary>How many parameters a test of this case runs on: <paramref name="flat"/>, or the layout's count when it needs one.</summary>
    public int Size(int flat) => NeedsLayout ? OptimizerCases.Layout.ParameterCount : flat;

    public override string ToString() => Name;
}

internal static class OptimizerCases
{
    /// <summary>
    /// Every rule with and without its options (L2, lr_decay, an initial accumulator, centring, momentum), clipping
    /// that clips and clipping that never does, and AdamW, masked L2 and masked SGD weight decay over a network layout.
    /// </summary>
    public static readonly OptimizerCase[] All =
    [
        new("sgd", Sgd.Plain(0.1f), () => new NaiveSgd(0.1f)),
        new("sgd l2", Sgd.Plain(0.1f, weightDecay: 0.01f), () => new NaiveSgd(0.1f, weightDecay: 0.01f)),
        new("momentum", Sgd.Momentum(0.1f, 0.9f), () => new NaiveSgd(0.1f, 0.9f)),
        new("momentum l2", Sgd.Momentum(0.05f, 0.8f, weightDecay: 0.01f), () => new NaiveSgd(0.05f, 0.8f, weightDecay: 0.01f)),
        new("nesterov", Sgd.Nesterov(0.1f, 0.9f), () => new NaiveSgd(0.1f, 0.9f, nesterov: true)),
        new("nesterov l2", Sgd.Nesterov(0.05f, 0.95f, weightDecay: 1e-3f), () => new NaiveSgd(0.05f, 0.95f, nesterov: true, weightDecay: 1e-3f)),
        new("adagrad", Optimizer.AdaGrad(0.1f), () => new NaiveAdaGrad(0.1f)),
        new("adagrad lr_decay accumulator l2", Optimizer.AdaGrad(0.1f, eps: 1e-6f, initialAccumulator: 0.1f, lrDecay: 0.05f, weightDecay: 0.01f),
            () => new NaiveAdaGrad(0.1f, 1e-6f, 0.1f, 0.05f, 0.01f)),
        new("rmsprop", Optimizer.RmsProp(0.01f), () => new NaiveRmsProp(0.01f)),
        new("rmsprop centred", Optimizer.RmsProp(0.01f, alpha: 0.9f, centered: true), () => new NaiveRmsProp(0.01f, 0.9f, centered: true)),
        new("rmsprop momentum", Optimizer.RmsProp(0.01f, momentum: 0.9f), () => new NaiveRmsProp(0.01f, momentum: 0.9f)),
        new("rmsprop centred momentum l2", Optimizer.RmsProp(0.02f, 0.95f, 1e-6f, 0.5f, centered: true, weightDecay: 0.01f),
            () => new NaiveRmsProp(0.02f, 0.95f, 1e-6f, 0.5f, true, 0.01f)),
        new("adam", Optimizer.Adam(1e-3f), () => new NaiveAdam(1e-3f)),
        new("adam l2", Optimizer.Adam(1e-2f, 0.8f, 0.99f, 1e-6f, weightDecay: 0.01f), () => new NaiveAdam(1e-2f, 0.8f, 0.99f, 1e-6f, 0.01f)),
        new("adamw", Optimizer.AdamW(1e-3f), () => NaiveAdam.W(1e-3f)),
        new("adamw strong", Optimizer.AdamW(1e-2f, 0.5f, 0.9f, 1e-7f, weightDecay: 0.1f), () => NaiveAdam.W(1e-2f, 0.5f, 0.9f, 1e-7f, 0.1f)),
        new("clip (clipping) → momentum", Optimizer.Chain(new ClipByGlobalNorm(0.05f), Sgd.Momentum(0.1f, 0.9f)),
            () => new NaiveClipped(0.05f, new NaiveSgd(0.1f, 0.9f))),
        new("clip (clipping) → adam", Optimizer.Chain(new ClipByGlobalNorm(0.5f), Optimizer.Adam(1e-2f)),
            () => new NaiveClipped(0.5f, new NaiveAdam(1e-2f))),
        new("clip (not clipping) → adam", Optimizer.Chain(new ClipByGlobalNorm(1e6f), Optimizer.Adam(1e-3f)),
            () => new NaiveClipped(1e6f, new NaiveAdam(1e-3f))),
        // Until a metric is observed the plateau's scale is 1; RuleTests drives it with metrics against PyTorch's scheduler.
        new("momentum → plateau", Optimizer.Chain(Sgd.Momentum(0.1f, 0.9f), new ReduceOnPlateau(0.5f, patience: 1)), () => new NaiveSgd(0.1f, 0.9f)),
        new("adamw masked to weights", Optimizer.AdamW(1e-2f, weightDecay: 0.1f, decayMask: TensorKinds.Weights),
            () => NaiveAdam.W(1e-2f, weightDecay: 0.1f, decays: Decays(TensorKinds.Weights)), NeedsLayout: true),
        new("adamw masked to biases and shifts", Optimizer.AdamW(1e-2f, weightDecay: 0.1f, decayMask: TensorKinds.Biases | TensorKinds.BatchNormShift),
            () => NaiveAdam.W(1e-2f, weightDecay: 0.1f, decays: Decays(TensorKinds.Biases | TensorKinds.BatchNormShift)), NeedsLayout: true),
        new("adamw masked to nothing", Optimizer.AdamW(1e-2f, weightDecay: 0.1f, decayMask: TensorKinds.None),
            () => NaiveAdam.W(1e-2f, weightDecay: 0.1f, decays: Decays(TensorKinds.None)), NeedsLayout: true),
        new("adam l2 masked to scales and slopes",
            Optimizer.Chain(Optimizer.WeightDecay(0.05f, TensorKinds.BatchNormScale | TensorKinds.Slopes), new ScaleByAdam(), new ScaleByLearningRate(1e-2f)),
            () => new NaiveAdam(1e-2f, weightDecay: 0.05f, decays: Decays(TensorKinds.BatchNormScale | TensorKinds.Slopes)), NeedsLayout: true),
        new("momentum l2 masked to weights",
            Optimizer.Chain(Optimizer.WeightDecay(0.05f, TensorKinds.Weights), new Trace(0.9f), new ScaleByLearningRate(0.1f)),
            () => new NaiveSgd(0.1f, 0.9f, weightDecay: 0.05f, decays: Decays(TensorKinds.Weights)), NeedsLayout: true),
    ];

    public static OptimizerCase Named(string name) => All.Single(c => c.Name == name);

    /// <summary>Every case's name, as theory data.</summary>
    public static TheoryData<string> Names() => [.. All.Select(c => c.Name)];

    /// <summary>Every case at each of <paramref name="counts"/> parameters; a masked case once, on its layout.</summary>
    public static TheoryData<string, int> Sized(params int[] counts)
    {
        var data = new TheoryData<string, int>();
        foreach (var c in All)
            foreach (int count in c.NeedsLayout ? [Layout.ParameterCount] : counts) data.Add(c.Name, count);
        return data;
    }

    /// <summary>The cases with ClipByGlobalNorm, which needs the whole gradient and so is never fused.</summary>
    public static bool Clips(OptimizerCase c) => c.Optimizer is Chain chain && chain.Links.Any(l => l is ClipByGlobalNorm);

    /// <summary>
    /// A two-layer network's layout as the generator lays it out, with every kind of tensor at widths no vector
    /// divides: Hidden is W [9×17], batch norm's γ and β (no bias), PReLU slopes; Scores is W [17×3] and b.
    /// </summary>
    public static readonly NetworkLayout Layout = new("MaskNet", 9, 3, 9 * 17 + 3 * 17 + 17 * 3 + 3, 2 * 17,
    [
        new LayerLayout("Hidden", new DenseLayout(9, 17, 1, 0, GammaOffset: 153, BetaOffset: 170, SlopeOffset: 187, SlopeCount: 17,
                                                  RunningMeanOffset: 0, RunningVarianceOffset: 17)),
        new LayerLayout("Scores", DenseLayout.Plain(204, 17, 3)),
    ]);

    /// <summary>Which parameters of <see cref="Layout"/> a mask decays, from the offsets written above rather than from the library.</summary>
    public static bool[] Decays(TensorKinds mask)
    {
        var decays = new bool[Layout.ParameterCount];
        void Mark(TensorKinds kind, int from, int count)
        {
            if ((mask & kind) != 0) decays.AsSpan(from, count).Fill(true);
        }
        Mark(TensorKinds.Weights, 0, 153);
        Mark(TensorKinds.BatchNormScale, 153, 17);
        Mark(TensorKinds.BatchNormShift, 170, 17);
        Mark(TensorKinds.Slopes, 187, 17);
        Mark(TensorKinds.Weights, 204, 51);
        Mark(TensorKinds.Biases, 255, 3);
        return decays;
    }
}
