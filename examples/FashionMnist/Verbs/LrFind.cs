// The `lr-find` verb: babysitting step 5 — a learning-rate range test on a fresh network, its regions, a suggested range, and the plot.
using System.CommandLine;
using Functional.Optimizers;
using Functional.Training;

namespace FashionExample;

internal static class LrFind
{
    public static Command Command()
    {
        var data = VerbData.DataOption();
        var seed = VerbData.SeedOption();
        var defaults = new LrFinderOptions();
        var steps = new Option<int>("--steps") { Description = "Steps of the test, one learning rate each", DefaultValueFactory = _ => defaults.Steps };
        var minLr = new Option<double>("--min-lr") { Description = "Learning rate of the first step", DefaultValueFactory = _ => defaults.MinLearningRate };
        var maxLr = new Option<double>("--max-lr") { Description = "Learning rate of the last step", DefaultValueFactory = _ => defaults.MaxLearningRate };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size", DefaultValueFactory = _ => defaults.BatchSize };
        // The range depends on the optimizer: with momentum μ the effective step is lr/(1 − μ), so test with the one you will train with.
        var momentum = new Option<float>("--momentum") { Description = "Momentum μ of the SGD being tested (0 for plain SGD); train's default is 0.9", DefaultValueFactory = _ => 0.9f };
        var network = VerbData.NetworkOption();
        var plot = new Option<FileInfo>("--plot") { Description = "PNG of the loss against the learning rate, regions marked", DefaultValueFactory = _ => new FileInfo(Path.Combine("runs", "lr-find.png")) };
        var command = new Command("lr-find", "Babysitting step 5: an exponential learning-rate range test (one learning rate per step, smoothed loss, stop at 4× the minimum or divergence); prints the regions and a range to search, and plots them.")
        {
            data, seed, steps, minLr, maxLr, batch, momentum, network, plot,
        };
        command.SetAction(parse =>
        {
            var o = new LrFinderOptions(parse.GetValue(minLr), parse.GetValue(maxLr), parse.GetValue(steps), parse.GetValue(batch), Seed: parse.GetValue(seed));
            if (!(o.MinLearningRate > 0 && o.MaxLearningRate > o.MinLearningRate) || o.Steps < 10 || o.BatchSize <= 0)
                return Run.Fail("need 0 < --min-lr < --max-lr, --steps ≥ 10 and a positive --batch");
            var train = VerbData.Train(parse.GetValue(data), o.Seed);
            if (train is null) return 2;
            float mu = parse.GetValue(momentum);
            Func<float, Optimizer> optimizer = mu > 0 ? lr => Sgd.Momentum(lr, mu) : lr => Sgd.Plain(lr);
            return VerbData.Network(parse.GetValue(network)!).Apply(new Test(train, optimizer, mu, o, parse.GetValue(plot)!));
        });
        return command;
    }

    /// <summary>The range test on the chosen network's record.</summary>
    private sealed record Test(Functional.Data.Dataset Train, Func<float, Optimizer> Optimizer, float Mu, LrFinderOptions Options, FileInfo Plot) : IVariantAction
    {
        public int Run<TNet>() where TNet : class, Functional.INetwork<TNet>
        {
            var (o, mu, name) = (Options, Mu, typeof(TNet).Name);
            Console.WriteLine($"{name}, batch {o.BatchSize}, {(mu > 0 ? $"SGD momentum {mu}" : "plain SGD")}, lr {o.MinLearningRate:G3} → {o.MaxLearningRate:G3} over {o.Steps} steps, L2 off");
            var r = LearningRateFinder.Run(TNet.Init(o.Seed), Train, Optimizer, o);
            Print(r);
            LrFindPlot.Save(r, Plot, $"Learning-rate range test: {name}, batch {o.BatchSize}, {(mu > 0 ? $"momentum {mu}" : "plain SGD")}");
            Console.WriteLine($"plot: {Plot.FullName}");
            return 0;
        }
    }

    private static void Print(LrFinderReport r)
    {
        Console.WriteLine($"  {"lr",10}{"loss",10}{"smoothed",10}");
        int every = Math.Max(1, r.Points.Count / 25);
        for (int i = 0; i < r.Points.Count; i++)
            if (i % every == 0 || i == r.Points.Count - 1)
                Console.WriteLine($"  {r.Points[i].LearningRate,10:G3}{r.Points[i].Loss,10:F4}{r.Points[i].Smoothed,10:F4}");
        Console.WriteLine($"stopped after {r.Points.Count} steps: {r.StopReason}");
        Console.WriteLine($"start loss {r.StartLoss:F3}, smoothed minimum {r.MinimumLoss:F3} at lr {r.AtMinimum:G3}");
        Console.WriteLine($"too low:   lr {r.TooLow}   (less than 10 % of the fall done)");
        Console.WriteLine($"steepest:  lr {r.Steepest:G3}");
        Console.WriteLine($"too high:  {(r.TooHigh is { } high ? $"lr {high}   (half the fall given back, or stopped)" : "not reached: raise --max-lr")}");
        Console.WriteLine($"suggested search range: lr {r.Suggested}   (steepest / 10 … minimum)");
    }
}
