// The learning rate as transformations: scaling by a schedule of the step, and reduce-on-plateau driven by validation metrics.
using Functional.Kernels;

namespace Functional.Optimizers;

/// <summary>
/// u ← −η(t)·u, with η a <see cref="Schedule"/> of the step count t (0 on the first step), as Optax's
/// <c>scale_by_learning_rate</c>: the sign flip that turns a direction into a descent step.
/// </summary>
public sealed record ScaleByLearningRate : Optimizer
{
    /// <summary>A constant learning rate <paramref name="learningRate"/> (a positive finite number).</summary>
    public ScaleByLearningRate(float learningRate) : this(Schedule.Constant(learningRate)) { }

    /// <summary>The learning rate of <paramref name="schedule"/> at each step.</summary>
    public ScaleByLearningRate(Schedule schedule) => Schedule = schedule;

    /// <summary>η(t); never null.</summary>
    public Schedule Schedule { get; init => field = value ?? throw new ArgumentNullException(nameof(Schedule)); }

    /// <inheritdoc/>
    public override string Structure => "scale_by_learning_rate";

    /// <inheritdoc/>
    public override float? CurrentLearningRate(OptimizerState state) => Schedule.At(state.StepCount);

    private protected override Optimizer? Replace(Schedule schedule) => this with { Schedule = schedule };

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) => new StatelessState(parameterCount);

    internal override BoundTransform Bind(OptimizerState state) => new Bound(this, Own<StatelessState>(state));

    private sealed class Bound(ScaleByLearningRate scale, StatelessState state) : BoundTransform(isElementwise: true)
    {
        private float factor;

        public override void Begin()
        {
            float rate = scale.Schedule.At(state.StepCount);
            state.Advance();
            factor = -rate;
        }

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters) => Scaling.By(updates, factor);

        public override void Step(int offset, Span<float> updates, Span<float> parameters) => Scaling.AddScaled(updates, parameters, factor);

        public override unsafe bool StepOuter(int offset, float* x, float* dz, int rows, int cols, float* parameters)
        {
            Scaling.AddScaledOuter(x, dz, rows, cols, parameters, factor);
            return true;
        }

        public override bool IsScale => true;

        public override float ScaleFactor => factor;
    }
}

/// <summary>
/// Keras's and PyTorch's <c>ReduceLROnPlateau</c> as a transformation: u ← s·u, where the scale s starts at 1 and is
/// multiplied by <see cref="Factor"/> (never below <see cref="MinimumScale"/>) when the validation metric given to
/// <see cref="Optimizer.Observe"/> has not improved on its best by more than the relative <see cref="Threshold"/> for
/// more than <see cref="Patience"/> observations in a row; then <see cref="Cooldown"/> observations pass before counting
/// again. Place it after the learning rate; <see cref="Optimizer.CurrentLearningRate"/> includes its scale.
/// </summary>
public sealed record ReduceOnPlateau : Optimizer
{
    /// <summary>Reduce-on-plateau with PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4 (relative), no cooldown, no floor.</summary>
    public ReduceOnPlateau(float factor = 0.1f, int patience = 10, float threshold = 1e-4f, int cooldown = 0, float minimumScale = 0f)
    {
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        Cooldown = cooldown;
        MinimumScale = minimumScale;
    }

    /// <summary>What the scale is multiplied by on a plateau: in (0, 1).</summary>
    public float Factor { get; init => field = value is > 0 and < 1 ? value : throw new ArgumentOutOfRangeException("factor", value, "the plateau factor must be in (0, 1)"); }

    /// <summary>Observations without improvement tolerated before reducing: ≥ 0.</summary>
    public int Patience { get; init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException("patience", value, "patience must be ≥ 0"); }

    /// <summary>An improvement counts when the metric is below best·(1 − threshold): in [0, 1).</summary>
    public float Threshold { get; init => field = Check.Fraction(value, "threshold"); }

    /// <summary>Observations after a reduction during which none is counted: ≥ 0.</summary>
    public int Cooldown { get; init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException("cooldown", value, "cooldown must be ≥ 0"); }

    /// <summary>The scale never drops below this (PyTorch's <c>min_lr</c> over the learning rate): in [0, 1].</summary>
    public float MinimumScale { get; init => field = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException("minimumScale", value, "the minimum scale must be in [0, 1]"); }

    /// <inheritdoc/>
    public override string Structure => "reduce_on_plateau";

    /// <summary>The plateau's factor on the rate of the chain it is in (a chain multiplies it in; alone it scales no rate, so null).</summary>
    internal float Scale(OptimizerState state) => Own<PlateauState>(state).Scale;

    /// <inheritdoc/>
    public override OptimizerState Observe(OptimizerState state, double metric)
    {
        var s = Own<PlateauState>(state);
        if (!double.IsFinite(metric)) throw new ArgumentOutOfRangeException(nameof(metric), metric, "a plateau needs a finite validation metric");
        bool better = metric < s.Best * (1 - (double)Threshold) || double.IsPositiveInfinity(s.Best);
        double best = better ? metric : s.Best;
        int bad = better ? 0 : s.BadEpochs + 1, cooldown = s.CooldownLeft;
        float scale = s.Scale;
        if (cooldown > 0)
        {
            cooldown--;
            bad = 0;
        }
        if (bad > Patience)
        {
            scale = Math.Max(scale * Factor, MinimumScale);
            cooldown = Cooldown;
            bad = 0;
        }
        var next = new PlateauState(s.ParameterCount, scale, best, bad, cooldown);
        next.SetCount(s.StepCount);
        return next;
    }

    private protected override OptimizerState Init(int parameterCount, NetworkLayout? layout) => new PlateauState(parameterCount, 1f, double.PositiveInfinity, 0, 0);

    internal override BoundTransform Bind(OptimizerState state) => new Bound(Own<PlateauState>(state));

    private sealed class Bound(PlateauState state) : BoundTransform(isElementwise: true)
    {
        public override void Begin() => state.Advance();

        public override void Transform(int offset, Span<float> updates, ReadOnlySpan<float> parameters) => Scaling.By(updates, state.Scale);

        public override bool IsScale => true;

        public override float ScaleFactor => state.Scale;
    }
}

/// <summary>Reduce-on-plateau's standing: the scale it applies, the best metric seen, and its counters.</summary>
public sealed record PlateauState : OptimizerState
{
    internal PlateauState(int parameterCount, float scale, double best, int badEpochs, int cooldownLeft) : base(parameterCount)
    {
        Scale = scale;
        Best = best;
        BadEpochs = badEpochs;
        CooldownLeft = cooldownLeft;
    }

    /// <summary>The factor on the learning rate now (1 until the first plateau).</summary>
    public float Scale { get; private set; }

    /// <summary>The best (lowest) metric observed; +∞ before the first.</summary>
    public double Best { get; private set; }

    /// <summary>Observations since the last improvement.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>Observations left in the cooldown after a reduction.</summary>
    public int CooldownLeft { get; private set; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, ReadOnlyMemory<float>> Blocks =>
        new Dictionary<string, ReadOnlyMemory<float>> { ["plateau"] = new[] { Scale, (float)Best, BadEpochs, CooldownLeft } };

    private protected override void Load(BlockReader blocks)
    {
        var b = blocks.Read("plateau", 4);
        if (!(b[0] > 0 && b[0] <= 1) || float.IsNaN(b[1]) || b[2] < 0 || b[3] < 0 || b[2] != MathF.Floor(b[2]) || b[3] != MathF.Floor(b[3]))
            throw new ArgumentException($"the plateau block [{string.Join(", ", b)}] is not a plateau's standing (scale in (0, 1], whole counters ≥ 0)", nameof(blocks));
        (Scale, Best, BadEpochs, CooldownLeft) = (b[0], b[1], (int)b[2], (int)b[3]);
    }

    private protected override OptimizerState Duplicate() => new PlateauState(ParameterCount, Scale, Best, BadEpochs, CooldownLeft);
}

/// <summary>u ← c·u, a range at a time, at every width the same bits.</summary>
internal static unsafe class Scaling
{
    public static void By(Span<float> updates, float factor)
    {
        fixed (float* u = updates)
        {
            var body = new Body(u, factor);
            Lanes.Run(ref body, u, updates.Length);
        }
    }

    /// <summary>θ ← θ + u·c in one pass: the same multiply and add as <see cref="By"/> followed by adding u to θ.</summary>
    public static void AddScaled(Span<float> updates, Span<float> parameters, float factor)
    {
        fixed (float* u = updates, theta = parameters)
        {
            var body = new AddBody(theta, factor);
            Lanes.Run(ref body, u, updates.Length);
        }
    }

    /// <summary>θ ← θ + g·c for g = x ⊗ dz formed lane by lane (<see cref="Lanes.RunOuter{TBody}"/>).</summary>
    public static void AddScaledOuter(float* x, float* dz, int rows, int cols, float* theta, float factor)
    {
        var body = new AddBody(theta, factor);
        Lanes.RunOuter(ref body, x, dz, rows, cols);
    }

    private readonly struct Body(float* u, float c) : Lanes.IBody
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct => TS.Store(u + i, TS.Multiply(g, TS.Broadcast(c)));
    }

    private readonly struct AddBody(float* theta, float c) : Lanes.IBody
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct =>
            TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(g, TS.Broadcast(c))));
    }
}
