// Every rule minimises a badly conditioned quadratic and Rosenbrock's valley (Optax's habit) to a measured loss.
using Functional.Optimizers;

namespace Functional.Tests.Optimizers;

public sealed class MinimisationTests
{
    /// <summary>Every row runs this many steps: enough for the slowest (plain SGD in the valley) to get close.</summary>
    internal const int Steps = 3000;

    /// <summary>
    /// A rule, its learning rates on the two problems, and the losses it must end below. Each threshold is about ten
    /// times the loss measured after <see cref="Steps"/> steps (and above what the rule reaches 100 steps earlier or
    /// later, where it oscillates), far below the start (158 and 24.2); the same rule at a hundredth of its rate ends
    /// above every threshold (at 0.018 or more on the quadratic, 3.9 or more on Rosenbrock). Where the loss has a floor
    /// — Adam's L2 and AdamW's decay move the minimum, RMSProp at a fixed rate rattles around it — the threshold sits
    /// a few times above the floor.
    /// </summary>
    internal sealed record Row(string Name, Func<float, Optimizer> Make, float QuadraticRate, double QuadraticBelow, float RosenbrockRate, double RosenbrockBelow)
    {
        public override string ToString() => Name;
    }

    internal static readonly Row[] Rows =
    [
        new("sgd", lr => Sgd.Plain(lr), 0.15f, 1e-10, 1.5e-3f, 3e-2),
        new("momentum", lr => Sgd.Momentum(lr, 0.9f), 0.03f, 1e-11, 2e-4f, 1e-2),
        new("nesterov", lr => Sgd.Nesterov(lr, 0.9f), 0.03f, 1e-11, 2e-4f, 1e-2),
        new("nesterov, cosine schedule", lr => Sgd.Nesterov(lr, 0.9f).WithSchedule(Schedule.Cosine(lr, Steps)), 0.03f, 1e-11, 2e-4f, 0.2),
        new("adagrad", lr => Optimizer.AdaGrad(lr), 1f, 1e-10, 0.5f, 2e-2),
        new("rmsprop", lr => Optimizer.RmsProp(lr), 0.01f, 1e-3, 1e-3f, 0.2),
        new("rmsprop centred", lr => Optimizer.RmsProp(lr, centered: true), 0.01f, 1e-3, 1e-3f, 1e-2),
        new("rmsprop momentum", lr => Optimizer.RmsProp(lr, momentum: 0.9f), 1e-3f, 3e-6, 1e-4f, 5e-2),
        // Observed every 100 steps: on the quadratic the plateau halves the rate when RMSProp rattles, reaching far
        // below plain RMSProp's floor (1.5·10⁻⁴), which this threshold would refuse.
        new("rmsprop → plateau", lr => Optimizer.Chain(Optimizer.RmsProp(lr), new ReduceOnPlateau(0.5f, patience: 0)), 0.01f, 1e-11, 1e-3f, 0.2),
        new("adam", lr => Optimizer.Adam(lr), 0.1f, 1e-12, 0.02f, 1e-5),
        new("adam l2", lr => Optimizer.Adam(lr, weightDecay: 1e-3f), 0.1f, 1e-4, 0.02f, 1e-4),
        new("adamw", lr => Optimizer.AdamW(lr, weightDecay: 1e-3f), 0.1f, 2e-5, 0.02f, 1e-4),
        new("clip → sgd", lr => Optimizer.Chain(new ClipByGlobalNorm(1f), Sgd.Plain(lr)), 0.15f, 1e-10, 1e-2f, 0.1),
        new("clip → adam", lr => Optimizer.Chain(new ClipByGlobalNorm(10f), Optimizer.Adam(lr)), 0.1f, 1e-11, 0.01f, 1e-10),
    ];

    public static TheoryData<string> Names() => [.. Rows.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_rule_minimises_a_quadratic_with_curvatures_a_hundred_fold_apart(string name)
    {
        var row = Rows.Single(r => r.Name == name);
        double loss = Minimise(row.Make(row.QuadraticRate), Quadratic, new float[10], Steps);
        Assert.True(loss < row.QuadraticBelow, $"{name}: ½Σcᵢ(xᵢ − bᵢ)² is {loss:E2} after {Steps} steps, not below {row.QuadraticBelow:E0}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_rule_minimises_Rosenbrocks_function_from_its_classic_start(string name)
    {
        var row = Rows.Single(r => r.Name == name);
        double loss = Minimise(row.Make(row.RosenbrockRate), Rosenbrock, [-1.2f, 1f], Steps);
        Assert.True(loss < row.RosenbrockBelow, $"{name}: Rosenbrock's function is {loss:E2} after {Steps} steps from (−1.2, 1), not below {row.RosenbrockBelow:E0}");
    }

    internal delegate double Objective(ReadOnlySpan<float> x, Span<float> gradient);

    /// <summary>
    /// Steps in place from <paramref name="x"/> and gives the loss at the end; every 100 steps the current loss is
    /// observed as a validation metric would be (only a plateau acts on it).
    /// </summary>
    internal static double Minimise(Optimizer optimizer, Objective objective, float[] x, int steps)
    {
        var gradient = new float[x.Length];
        var state = optimizer.Init(x.Length);
        for (int step = 1; step <= steps; step++)
        {
            double loss = objective(x, gradient);
            optimizer.ApplyInPlace(x, gradient, state);
            if (step % 100 == 0) state = optimizer.Observe(state, loss);
        }
        return objective(x, gradient);
    }

    /// <summary>½ Σ cᵢ(xᵢ − bᵢ)² over ten coordinates, curvatures cᵢ = 10^(−1 + 2i/9) from 0.1 to 10, minimum at bᵢ = 1 + i/3; 158 at 0.</summary>
    internal static double Quadratic(ReadOnlySpan<float> x, Span<float> gradient)
    {
        double loss = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double c = Math.Pow(10, -1 + 2.0 * i / (x.Length - 1)), d = x[i] - (1 + i / 3.0);
            loss += 0.5 * c * d * d;
            gradient[i] = (float)(c * d);
        }
        return loss;
    }

    /// <summary>(1 − x)² + 100(y − x²)², minimum 0 at (1, 1) at the end of a curved valley; 24.2 at (−1.2, 1).</summary>
    internal static double Rosenbrock(ReadOnlySpan<float> p, Span<float> gradient)
    {
        double x = p[0], y = p[1], valley = y - x * x;
        gradient[0] = (float)(-2 * (1 - x) - 400 * x * valley);
        gradient[1] = (float)(200 * valley);
        return (1 - x) * (1 - x) + 100 * valley * valley;
    }
}
