// The main job as a user runs it, on the built-in subset: bad values (exit 2, one line, no stack trace, before loading data), Ctrl-C (a checkpoint, exit 130) and a resume that ends where an uninterrupted run does, divergence (exit 1, naming epoch and tensor).
using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Functional.Integration.Tests;

public sealed class CommandLineTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("functional-cli-").FullName;
    private static readonly string Program = Path.Combine(AppContext.BaseDirectory, "FashionMnist.dll");
    private static readonly string Subset = Path.Combine(ChildProcess.Repository(), "data", "fashion-mnist-subset");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string, string> BadValues => new()
    {
        { "--lr -1", "error: --lr must be a positive finite number, got -1" },
        { "--lr NaN", "error: --lr must be a positive finite number, got NaN" },
        { "--momentum 2", "error: --momentum must be in [0, 1), got 2" },
        { "--epochs 0", "error: --epochs must be a positive whole number, got 0" },
        { "--epochs x", "error: Cannot parse argument 'x' for option '--epochs'" },
        { "--batch -5", "error: --batch must be a positive whole number, got -5" },
        { "--l2 -0.1", "error: --l2 must be a finite number ≥ 0, got -0.1" },
        { "--early-stop -1", "error: --early-stop must be 0 (off) or a number of epochs, got -1" },
        { "--activation mish", "error: Argument 'mish' not recognized. Must be one of:" },
        { "--resume", "error: --resume needs --checkpoint DIR" },
        { "--optimizer adamx", "error: --optimizer must be one of sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, got adamx" },
        { "--optimizer adam --beta1 1", "error: --beta1 must be in [0, 1), got 1" },
        { "--optimizer adam --beta2 NaN", "error: --beta2 must be in [0, 1), got NaN" },
        { "--optimizer adam --eps 0", "error: --eps must be a positive finite number, got 0" },
        { "--weight-decay -1", "error: --weight-decay must be a finite number ≥ 0, got -1" },
        { "--schedule linear", "error: --schedule must be one of constant, step, exponential, cosine, onecycle, plateau, got linear" },
        { "--warmup -3", "error: --warmup must be a whole number of steps ≥ 0, got -3" },
        { "--clip 0", "error: --clip must be a positive finite number, got 0" },
        { "--schedule step --gamma 1", "error: --gamma must be in (0, 1), got 1" },
        { "--beta1 0.8", "error: --beta1 and --beta2 apply to adam and adamw, not momentum" },
        { "--optimizer adam --momentum 0.5", "error: --momentum applies to momentum, nesterov and rmsprop, not adam" },
        { "--schedule onecycle --warmup 10", "error: --warmup does not combine with --schedule onecycle, which warms up by itself" },
        { "train --lr -1", "error: --lr must be a positive finite number, got -1" },
        { "predict --count 3", "error: Option '--model' is required." },
        { "--network resnet", "error: --network must be one of mlp, cnn, cnn-bn, got resnet" },
        { "sanity --network rnn", "error: --network must be one of mlp, cnn, cnn-bn, got rnn" },
        { "sanity --network cnn --loss hinge", "error: --loss hinge is declared for the MLP only; --network cnn ends in softmax cross-entropy" },
        { "overfit --network mlp2", "error: --network must be one of mlp, cnn, cnn-bn, got mlp2" },
        { "lr-find --network cnn --steps 5", "error: need 0 < --min-lr < --max-lr, --steps ≥ 10 and a positive --batch" },
        { "--no-such-option", "error: Unrecognized command or argument '--no-such-option'." },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_is_one_line_naming_the_option_and_exit_code_2(string arguments, string expected)
    {
        var (code, stdout, stderr) = Run(arguments.Split(' '));
        Assert.Equal(2, code);
        Assert.StartsWith(expected, stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.DoesNotContain("data:", stdout); // refused before any data was loaded
        Assert.DoesNotContain("Usage:", stderr + stdout); // and without dumping the help
    }

    /// <summary>
    /// Every rule and every schedule trains from the command line: a short run on the subset ends with exit 0, reports the
    /// rule it used, and learns (test accuracy far above the 10 % of chance).
    /// </summary>
    [Theory]
    [InlineData("--optimizer sgd --lr 0.05 --schedule step --step-size 1", "SGD")]
    [InlineData("--optimizer nesterov --schedule exponential", "SGD Nesterov momentum 0.9")]
    [InlineData("--optimizer adagrad --schedule cosine --warmup 20", "AdaGrad")]
    [InlineData("--optimizer rmsprop --lr 0.001 --momentum 0.5 --clip 5", "RMSProp α 0.99 ε 1e-8 momentum 0.5, clip 5")]
    [InlineData("--optimizer adam --schedule onecycle", "Adam β₁ 0.9 β₂ 0.999 ε 1e-8")]
    [InlineData("--optimizer adamw --weight-decay 0.05 --schedule plateau --patience 0", "AdamW β₁ 0.9 β₂ 0.999 ε 1e-8, weight decay 0.05")]
    public void Every_rule_and_schedule_trains_from_the_command_line(string options, string described)
    {
        var (code, stdout, stderr) = Run([.. options.Split(' '), "--epochs", "2", "--batch", "32"]);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains(described, stdout);
        var accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"test accuracy ([0-9.]+) %").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy > 50, $"{options}: test accuracy {accuracy} %\n{stdout}");
    }

    [Fact]
    public void Ctrl_C_writes_a_checkpoint_and_the_resumed_run_ends_bit_for_bit_where_an_uninterrupted_one_does()
    {
        // Six epochs, interrupted after the first: five epochs' time for the interrupt to arrive on a busy machine.
        string[] run = ["--epochs", "6", "--batch", "32", "--seed", "5"];
        var (_, straight, _) = Run(run);
        string checkpoint = Path.Combine(dir, "checkpoint");

        // Interrupt once training has begun: the first epoch line is printed after its last step. The child gets
        // SIGINT's default disposition: a test run started in the background (`dotnet test … &` in a script) ignores
        // SIGINT, a child inherits that, and .NET then leaves an ignored SIGINT ignored, so Ctrl-C could not be tested.
        using var child = ChildProcess.Start("env", ["--default-signal=INT", "dotnet", Program, .. run, "--checkpoint", checkpoint],
            environment: [("FASHION_MNIST_DIR", Subset)]);
        string? line;
        while ((line = child.StandardOutput.ReadLine()) is not null && !line.StartsWith("epoch 1/6")) { }
        Assert.NotNull(line);
        Assert.Equal(0, Kill(child.Id, 2)); // SIGINT, what Ctrl-C sends
        var rest = child.StandardOutput.ReadToEnd();
        string err = child.StandardError.ReadToEnd();
        child.WaitForExit();
        output.WriteLine(err);

        Assert.Equal(130, child.ExitCode);
        Assert.Contains("interrupted in epoch", err);
        Assert.Contains($"resume with the same options and --checkpoint {checkpoint} --resume", err);
        Assert.DoesNotContain("test accuracy", rest);

        var (code, resumed, _) = Run([.. run, "--checkpoint", checkpoint, "--resume"]);
        Assert.Equal(0, code);
        Assert.Contains("resumed from", resumed);
        Assert.Equal(Last(straight), Last(resumed)); // "test accuracy … (loss …) on … images", to every printed digit
        // Every epoch the resumed run reports, the interrupted one included, has the straight run's training and
        // validation figures: the checkpoint kept the partly done epoch's sums (the seconds differ, so they are cut off).
        var epochs = Epochs(resumed);
        Assert.NotEmpty(epochs);
        Assert.All(epochs, e => Assert.Contains(e, Epochs(straight)));
    }

    private static List<string> Epochs(string text) => [.. text.Split('\n').Where(l => l.StartsWith("epoch ")).Select(l => l[..l.LastIndexOf("  ", StringComparison.Ordinal)])];

    [Fact]
    public void Kill_9_during_training_leaves_a_checkpoint_that_resumes()
    {
        string[] run = ["--epochs", "4", "--batch", "32", "--seed", "6"];
        string checkpoint = Path.Combine(dir, "killed");
        var random = new Random(3);
        for (int round = 0; round < 3; round++)
        {
            using var child = Start([.. run, "--checkpoint", checkpoint, .. round == 0 ? Array.Empty<string>() : ["--resume"]]);
            // Kill at a random moment once a checkpoint exists: an epoch's line comes just before its checkpoint is
            // written, so the first run waits for a second line (the kill may land mid-save or mid-epoch).
            string? line;
            int lines = 0;
            while ((line = child.StandardOutput.ReadLine()) is not null && !(line.StartsWith("epoch ") && ++lines == (round == 0 ? 2 : 1))) { }
            Thread.Sleep(random.Next(0, 300));
            child.Kill();
            child.WaitForExit();
            // A checkpoint is a model file: predict loads it.
            var (loads, said, error) = Run(["predict", "--model", Path.Combine(checkpoint, "last.fnm"), "--count", "1"]);
            Assert.True(loads == 0, $"round {round}: the checkpoint does not load after kill -9: {said}{error}");
        }
        var (code, finished, _) = Run([.. run, "--checkpoint", checkpoint, "--resume"]);
        Assert.True(code == 0, finished);
        Assert.Contains("test accuracy", finished);
        Assert.Empty(Directory.GetFiles(checkpoint, "*.tmp-*"));
    }

    [Fact]
    public void A_diverging_run_stops_with_the_epoch_the_tensor_and_a_remedy_and_exit_code_1()
    {
        var (code, _, stderr) = Run(["--epochs", "2", "--lr", "5", "--momentum", "0.9"]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: epoch 1: FashionMlp: training diverged at step ", stderr);
        Assert.Contains("Try a learning rate of 0.5 or lower (it is 5)", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("cnn", new string[0], "weight decay 0.0005, lr 0.02 (cosine after 500 warm-up steps)")]
    [InlineData("cnn-bn", new string[0], "weight decay 0.001, lr 0.05 (cosine after 500 warm-up steps)")]
    [InlineData("cnn", new[] { "--lr", "0.01" }, "weight decay 0.0005, lr 0.01 (constant)")]
    [InlineData("cnn", new[] { "--weight-decay", "0" }, "SGD momentum 0.9, lr 0.02 (cosine after 500 warm-up steps)")]
    [InlineData("cnn", new[] { "--optimizer", "adam" }, "ε 1e-8, lr 0.001 (constant)")]
    [InlineData("mlp", new string[0], "SGD momentum 0.9, lr 0.01 (constant)")]
    public void A_cnn_takes_its_recipe_for_what_the_command_line_leaves_unset(string network, string[] given, string expected)
    {
        var (code, stdout, _) = Run(["--network", network, "--epochs", "1", "--batch", "1000", .. given]);
        Assert.Equal(0, code);
        string configuration = stdout.Split('\n').Single(l => l.StartsWith("train ", StringComparison.Ordinal));
        Assert.Contains(expected, configuration);
    }

    [Fact]
    public void Redirected_output_has_no_progress_bar_only_one_plain_line_per_epoch()
    {
        var (code, stdout, _) = Run(["--epochs", "3"]);
        Assert.Equal(0, code);
        Assert.DoesNotContain('\r', stdout);
        Assert.DoesNotContain('\u001b', stdout);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var epochs = lines.Where(l => l.StartsWith("epoch ")).ToList();
        Assert.Equal(["epoch 1/3 loss", "epoch 2/3 loss", "epoch 3/3 loss"], epochs.Select(l => l[..14]));
        Assert.All(epochs, l => Assert.Matches(@"^epoch \d/3 loss \d\.\d{4}  train acc .+  val loss .+  val acc .+  \d+\.\d\ds$", l));
        Assert.Equal(6, lines.Length); // data, configuration, three epochs, test accuracy
    }

    [Fact]
    public void Early_stopping_keeps_the_best_model_and_a_saved_model_predicts()
    {
        string model = Path.Combine(dir, "model.fnm");
        var (code, stdout, _) = Run(["--epochs", "30", "--lr", "0.05", "--early-stop", "2", "--save", model]);
        Assert.Equal(0, code);
        Assert.Contains("early stop: validation loss has not improved for 2 epochs; keeping epoch ", stdout);
        Assert.DoesNotContain("epoch 30/30", stdout);

        var (predicted, lines, _) = Run(["predict", "--model", model, "--count", "4"]);
        Assert.Equal(0, predicted);
        var rows = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('#')).ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Matches(@"^#\d+\s+(right|wrong)\s+predicted \d ", r));
    }

    [Fact]
    public void The_train_verb_exports_an_onnx_model_that_takes_raw_pixels()
    {
        string onnx = Path.Combine(dir, "fashion.onnx");
        var (code, stdout, _) = Run(["--epochs", "1", "--onnx", onnx]);
        Assert.Equal(0, code);
        Assert.Contains($"onnx: {onnx}", stdout);
        // The file holds the standardisation: raw test pixels in, probabilities out, about as accurate as the run said.
        var test = Functional.Data.FashionMnist.FromBuiltInSubset().ThrowIfFail().Test;
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(test.Features.ToArray(), [test.Count, 784]);
        using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", input)]);
        var p = results.Single().AsEnumerable<float>().ToArray();
        int correct = Enumerable.Range(0, test.Count).Count(r => Array.IndexOf(p, p.Skip(r * 10).Take(10).Max(), r * 10, 10) - r * 10 == test.Labels[r]);
        double accuracy = (double)correct / test.Count;
        Assert.Contains($"test accuracy {accuracy:P2}", stdout);
    }

    [Fact]
    public void Metrics_alone_write_one_json_line_per_epoch_and_the_test_and_no_report()
    {
        // --metrics without --plots once ended in a NullReferenceException after training, exit code 134.
        string metrics = Path.Combine(dir, "alone", "metrics.jsonl");
        var (code, stdout, stderr) = Run(["--epochs", "2", "--metrics", metrics]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"metrics: {metrics}", stdout);
        Assert.DoesNotContain("report:", stdout);
        var records = File.ReadAllLines(metrics).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.Equal([1, 2], records.Where(r => (string?)r["kind"] == "epoch").Select(r => (int)r["epoch"]!));
        Assert.Single(records, r => (string?)r["kind"] == "test");
    }

    [Theory]
    [InlineData("cnn", "FashionCnn")]
    [InlineData("cnn-bn", "FashionCnnBn")]
    public void The_babysitting_verbs_check_a_cnn_when_asked(string network, string record)
    {
        // Initial loss: the CNN's own record is measured (its score spread decides pass or warn: exit 0 or 1, never 2).
        var (sane, said, error) = Run(["sanity", "--network", network, "--examples", "200"]);
        Assert.True(sane is 0 or 1, error);
        Assert.Contains($"{record} (SoftmaxCrossEntropy, 10 classes)", said);
        Assert.Matches(@"sanity: (pass|warn)", said);

        // Overfitting 20 images must pass on a working network.
        var (fits, overfit, overfitError) = Run(["overfit", "--network", network]);
        Assert.True(fits == 0, overfit + overfitError);
        Assert.Contains($"{record} on 20 images", overfit);
        Assert.Contains("overfit: pass", overfit);

        // The range test runs on it and plots.
        string plot = Path.Combine(dir, $"lr-{network}.png");
        var (found, range, rangeError) = Run(["lr-find", "--network", network, "--steps", "60", "--plot", plot]);
        Assert.True(found == 0, range + rangeError);
        Assert.Contains($"{record}, batch 64, SGD momentum 0.9", range);
        Assert.Contains("suggested search range: lr ", range);
        Assert.True(new FileInfo(plot).Length > 1000);
    }

    private static string Last(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.StartsWith("test accuracy"));

    // The built-in subset's files, whatever is installed: the same data on every machine, and fast.
    private static Process Start(string[] arguments) => ChildProcess.Start("dotnet", [Program, .. arguments], environment: [("FASHION_MNIST_DIR", Subset)]);

    private static (int Code, string Stdout, string Stderr) Run(string[] arguments)
    {
        var (code, stdout, stderr) = ChildProcess.Run("dotnet", [Program, .. arguments], TimeSpan.FromMinutes(3), environment: [("FASHION_MNIST_DIR", Subset)]);
        return (code, stdout, stderr);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

}
