// The `overfit` verb: babysitting step 4 — a tiny training subset, no regularisation, must reach 100 % with a loss near 0.
using System.CommandLine;
using Functional.Optimizers;
using Functional.Training;

namespace FashionExample;

internal static class Overfit
{
    public static Command Command()
    {
        var data = VerbData.DataOption();
        var seed = VerbData.SeedOption();
        var examples = new Option<int>("--examples") { Description = "Size of the tiny training subset", DefaultValueFactory = _ => 20 };
        var steps = new Option<int>("--steps") { Description = "Step budget (full-batch steps)", DefaultValueFactory = _ => OverfitCheck.DefaultMaxSteps };
        // Momentum 0.9 at 0.05 reaches the target in a few dozen steps on 20 images; plain SGD at the train default 0.01 needs far more.
        var lr = new Option<float>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.05f };
        var momentum = new Option<float>("--momentum") { Description = "Momentum μ (0 for plain SGD)", DefaultValueFactory = _ => 0.9f };
        var every = new Option<int>("--every") { Description = "Print the loss every this many steps", DefaultValueFactory = _ => 5 };
        var network = VerbData.NetworkOption();
        var command = new Command("overfit", $"Babysitting step 4: overfit a tiny subset (full batch, L2 off) to 100 % accuracy and loss < {OverfitCheck.DefaultLossTarget} within the budget. Exit 0 pass, 1 fail.")
        {
            data, seed, examples, steps, lr, momentum, every, network,
        };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(examples), budget = parse.GetValue(steps), s = parse.GetValue(seed), printEvery = Math.Max(1, parse.GetValue(every));
            if (n <= 0 || budget <= 0) return Run.Fail("--examples and --steps must be positive");
            var train = VerbData.Train(parse.GetValue(data), s);
            if (train is null) return 2;
            var tiny = VerbData.Sample(train, n, s);
            float rate = parse.GetValue(lr), mu = parse.GetValue(momentum);
            Optimizer optimizer = mu > 0 ? Sgd.Momentum(rate, mu) : Sgd.Plain(rate);
            return VerbData.Network(parse.GetValue(network)!).Apply(new Check(tiny, optimizer, rate, mu, budget, s, printEvery));
        });
        return command;
    }

    /// <summary>The check on the chosen network's record.</summary>
    private sealed record Check(Functional.Data.Dataset Tiny, Optimizer Optimizer, float Rate, float Mu, int Budget, int Seed, int PrintEvery) : IVariantAction
    {
        public int Run<TNet>() where TNet : class, Functional.INetwork<TNet>
        {
            var (tiny, budget, printEvery) = (Tiny, Budget, PrintEvery);
            Console.WriteLine($"{typeof(TNet).Name} on {tiny.Count} images, full batch, L2 off, lr {Rate}, momentum {Mu}, at most {budget} steps");
            var r = OverfitCheck.Run(TNet.Init(Seed), tiny, Optimizer, budget, seed: Seed);

            Console.WriteLine($"  {"step",6}{"loss",10}{"accuracy",10}");
            foreach (var p in r.Curve.Where(p => p.Step == 1 || p.Step % printEvery == 0 || p.Step == r.Steps))
                Console.WriteLine($"  {p.Step,6}{p.Loss,10:F4}{p.Accuracy,10:P0}");
            if (r.Diverged is not null) Console.WriteLine($"  {r.Diverged}");
            Console.WriteLine($"final model (inference): loss {r.FinalLoss:F4}, accuracy {r.FinalAccuracy:P0} after {r.Steps} steps");
            Console.WriteLine(r.Outcome == CheckOutcome.Pass
                ? $"overfit: pass — 100 % and loss < {r.LossTarget} at step {r.StepsToTarget}"
                : $"overfit: fail — no 100 % with loss < {r.LossTarget} within {r.MaxSteps} steps: a bug in the model or loss, or a learning rate far off (try lr-find)");
            return VerbData.ExitCode(r.Outcome);
        }
    }
}
