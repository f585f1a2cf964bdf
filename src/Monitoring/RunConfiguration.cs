// What a run was: the settings that tell two runs apart, written into every metrics record and the report's table.
using Functional.Training;

namespace Functional.Monitoring;

/// <summary>
/// A run's configuration: typed fields for what every run has, <see cref="Extras"/> for the rest (a search's trial id, a
/// momentum, a git commit). Every metrics record carries it whole, so a file alone says which run it came from.
/// </summary>
public sealed record RunConfiguration
{
    /// <summary>The declared network's name (<see cref="NetworkLayout.Name"/>).</summary>
    public required string Network { get; init; }

    /// <summary>Which variant of the program's networks this is (e.g. "relu-bn"), when it has several.</summary>
    public string? Variant { get; init; }

    /// <summary>The hidden layers' activations, e.g. "Relu" (several, comma-separated, when they differ).</summary>
    public string? Activation { get; init; }

    /// <summary>Whether the network normalises its hidden layers with batch norm.</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Dropout probability (0: none). The layout does not carry it, so the caller says.</summary>
    public float Dropout { get; init; }

    /// <summary>Weight initialisation, e.g. "He" or "as declared".</summary>
    public string? Init { get; init; }

    /// <summary>Optimizer with its own hyperparameters, e.g. "SGD momentum 0.9".</summary>
    public string? Optimizer { get; init; }

    /// <summary>The learning rate in effect: a <see cref="MetricsWriter"/> record carries that epoch's value.</summary>
    public float LearningRate { get; init; }

    /// <summary>How the learning rate varies over the run, e.g. "constant" or "cosine from 0.01 to 0 over 10 epochs".</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>L2 strength λ of ½λ‖W‖².</summary>
    public float L2 { get; init; }

    /// <summary>Examples per mini-batch.</summary>
    public int Batch { get; init; }

    /// <summary>Epochs the run was asked for.</summary>
    public int Epochs { get; init; }

    /// <summary>The seed of initialisation, shuffling and dropout masks, which makes the run repeatable.</summary>
    public long Seed { get; init; }

    /// <summary>Trainable parameters of the network (<see cref="NetworkLayout.ParameterCount"/>).</summary>
    public long ParameterCount { get; init; }

    /// <summary>Where the data came from (e.g. <see cref="Data.FashionMnist.Source"/>).</summary>
    public string? Data { get; init; }

    /// <summary>Anything else worth telling runs apart by; values are written as JSON (numbers, strings, booleans).</summary>
    public IReadOnlyDictionary<string, object?> Extras { get; init; } = new Dictionary<string, object?>();

    /// <summary>
    /// What the network's declaration says: its name, parameter count, hidden activations and whether it has batch norm;
    /// the caller adds the rest with <c>with { … }</c>.
    /// </summary>
    public static RunConfiguration Of<TNet>() where TNet : class, INetwork<TNet>
    {
        var layers = TNet.Layout.Layers;
        // The last layer feeds the loss; its "activation" is the scores', not a choice worth reporting.
        var hidden = layers.Take(Math.Max(1, layers.Count - 1)).Select(l => l.Activation.ToString()).Distinct();
        return new RunConfiguration
        {
            Network = TNet.Layout.Name,
            ParameterCount = TNet.ParameterCount,
            Activation = string.Join(", ", hidden),
            BatchNorm = layers.Any(l => l.Dense.GammaOffset >= 0),
        };
    }

    /// <summary>The configuration as (name, value) rows in a fixed order, extras last and sorted: the report's table.</summary>
    public IReadOnlyList<(string Name, string Value)> Rows()
    {
        static string F(float v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        var rows = new List<(string, string)>
        {
            ("network", Network), ("variant", Variant ?? "–"), ("activation", Activation ?? "–"), ("batch norm", BatchNorm ? "yes" : "no"),
            ("dropout", Dropout == 0 ? "none" : F(Dropout)), ("init", Init ?? "–"), ("optimizer", Optimizer ?? "–"),
            ("learning rate", F(LearningRate)), ("schedule", Schedule), ("L2", F(L2)), ("batch", Batch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("epochs", Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("parameters", ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)), ("data", Data ?? "–"),
        };
        foreach (var (key, value) in Extras.OrderBy(e => e.Key, StringComparer.Ordinal))
            rows.Add((key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null"));
        return rows;
    }
}
