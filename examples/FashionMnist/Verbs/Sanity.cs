// The `sanity` verb: babysitting step 3 — the fresh network's loss against its expectation, then the loss as L2 is turned up.
using System.CommandLine;
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Training;

namespace FashionExample;

/// <summary>FashionMlp with the multiclass SVM loss, so `sanity --loss hinge` can show the hinge's expectation on real data.</summary>
[Network(Inputs = 784)]
public sealed partial record FashionHinge(
    [Dense(256), Relu] Dense Hidden1,
    [Dense(128), Relu] Dense Hidden2,
    [Dense(10), Hinge] Dense Scores);

internal static class Sanity
{
    public static Command Command()
    {
        var data = VerbData.DataOption();
        var seed = VerbData.SeedOption();
        var examples = new Option<int>("--examples") { Description = "Rows of the training set the loss is measured on (one batch)", DefaultValueFactory = _ => 1000 };
        var loss = new Option<string>("--loss") { Description = "The network's loss: softmax (FashionMlp) or hinge (the same widths with the SVM loss)", DefaultValueFactory = _ => "softmax" };
        loss.AcceptOnlyFromAmong("softmax", "hinge");
        var network = VerbData.NetworkOption();
        var init = new Option<Init?>("--init") { Description = "Weight initialisation for every layer (default: as declared, He for ReLU layers, Xavier for the scores)" };
        var command = new Command("sanity", "Babysitting step 3: the initial loss with regularisation off against what it should be (ln C for softmax), then the loss as L2 rises. Exit 0 pass, 1 warn.")
        {
            data, seed, examples, loss, network, init,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(examples) <= 0) return Run.Fail("--examples must be positive");
            string shape = parse.GetValue(network)!;
            if (parse.GetValue(loss) == "hinge" && shape != "mlp") return Run.Fail($"--loss hinge is declared for the MLP only; --network {shape} ends in softmax cross-entropy");
            var train = VerbData.Train(parse.GetValue(data), parse.GetValue(seed));
            if (train is null) return 2;
            var batch = VerbData.Sample(train, parse.GetValue(examples), parse.GetValue(seed));
            int s = parse.GetValue(seed);
            var chosen = parse.GetValue(init);
            var check = new Check(batch, s, chosen);
            return parse.GetValue(loss) == "hinge" ? check.Run<FashionHinge>() : VerbData.Network(shape).Apply(check);
        });
        return command;
    }

    /// <summary>The check on the chosen network's record.</summary>
    private sealed record Check(Functional.Data.Dataset Batch, int Seed, Init? Chosen) : IVariantAction
    {
        public int Run<TNet>() where TNet : class, Functional.INetwork<TNet>
        {
            var report = InitialLossCheck.Run(TNet.Init(Seed, Chosen), Batch);
            Print(report, Chosen);
            return VerbData.ExitCode(report.Outcome);
        }
    }

    private static void Print(InitialLossReport r, Init? init)
    {
        Console.WriteLine($"{r.Network} ({r.Loss}, {r.Classes} classes), init {init?.ToString() ?? "as declared"}, on {r.Count:N0} training images, L2 off:");
        Console.WriteLine($"  initial loss   {r.Measured:F4}");
        Console.WriteLine($"  expected       {r.Expected:F4}   = {r.ExpectedFormula}");
        Console.WriteLine($"  difference     {(r.RelativeError >= 0 ? "+" : "−")}{Math.Abs(r.RelativeError):0.0%}   (tolerance ±{r.Tolerance:P0})");
        Console.WriteLine($"  score spread σ {r.ScoreStd:F3}   (within-row std of the initial scores; N(0, σ²) scores would give {r.AtScoreStd:F4})");
        string verdict = r.WithinTolerance ? "pass" : "warn";
        string why = r.WithinTolerance ? "" : r.Loss == LossKind.SoftmaxCrossEntropy && r.Measured > r.Expected
            ? $": the initial scores are not small (σ = {r.ScoreStd:F2}); with σ ≪ 1 the loss would be ln {r.Classes} — shrink the last layer's init, or accept it if σ explains the gap"
            : ": the loss is not what the loss function and the initial scores predict — check the loss and the labels";
        Console.WriteLine($"  {verdict}{why}");
        Console.WriteLine();
        Console.WriteLine("Adding L2 on the same batch (total = data loss + ½λ‖W‖²):");
        Console.WriteLine($"  {"λ",-8}{"data loss",12}{"penalty",12}{"total",12}");
        foreach (var row in r.L2Table) Console.WriteLine($"  {row.Lambda,-8:G3}{row.DataLoss,12:F4}{row.Penalty,12:F4}{row.Total,12:F4}");
        Console.WriteLine($"  {(r.L2Increasing ? "pass: the total rises with λ" : "FAIL: the total does not rise with λ — the penalty is not reaching the loss")}");
        Console.WriteLine($"sanity: {r.Outcome.ToString().ToLowerInvariant()}");
    }
}
