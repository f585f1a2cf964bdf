// Scoring a configuration honestly: k stratified folds (or a hold-out set), preprocessing fitted on each fold's training part only, the score as mean ± std; and a ready trial function for any declared network.
using System.Globalization;
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Search;

/// <summary>
/// A cross-validated score: the mean of the folds' scores ± their standard deviation. The deviation is the population
/// one (divided by k, as NumPy's <c>std</c> and so scikit-learn's usual <c>scores.std()</c>); one fold has 0.
/// </summary>
public sealed record CrossValidationScore(double Mean, double Std, IReadOnlyList<double> Folds)
{
    /// <summary>The score of the given folds' scores.</summary>
    public static CrossValidationScore Of(IReadOnlyList<double> folds)
    {
        if (folds.Count == 0) throw new ArgumentException("a cross-validated score needs at least one fold's score");
        double mean = folds.Average();
        return new(mean, Math.Sqrt(folds.Sum(s => (s - mean) * (s - mean)) / folds.Count), [.. folds]);
    }

    /// <summary>As <c>0.8512 ± 0.0043 (3 folds)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:F4} ± {Std:F4} ({Folds.Count} fold{(Folds.Count == 1 ? "" : "s")})");
}

/// <summary>How a trial's training data is split for validation: k stratified folds, a stratified hold-out set, or the caller's own split.</summary>
public sealed class Validation
{
    private readonly Func<Dataset, int, IReadOnlyList<Fold>> split;

    private Validation(string description, Func<Dataset, int, IReadOnlyList<Fold>> split) => (Description, this.split) = (description, split);

    /// <summary>What the split is, for printing.</summary>
    public string Description { get; }

    /// <summary>k stratified folds (<see cref="Functional.Data.Folds.Stratified"/>): each configuration is trained k times.</summary>
    public static Validation KFold(int k) =>
        k >= 2 ? new($"{k}-fold stratified cross-validation", (data, seed) => Functional.Data.Folds.Stratified(data, k, seed))
            : throw new ArgumentOutOfRangeException(nameof(k), k, "k-fold cross-validation needs k ≥ 2 (use HoldOut for one split)");

    /// <summary>A stratified hold-out set of <paramref name="count"/> rows (<see cref="Functional.Data.Folds.HoldOut"/>).</summary>
    public static Validation HoldOut(int count) => new($"stratified hold-out of {count} rows", (data, seed) => [Functional.Data.Folds.HoldOut(data, count, seed)]);

    /// <summary>The caller's split of (data, seed) into folds, e.g. the one a training program uses, so its runs reproduce a trial.</summary>
    public static Validation Custom(string description, Func<Dataset, int, IReadOnlyList<Fold>> split) => new(description, split);

    /// <summary>The folds of <paramref name="data"/> for <paramref name="seed"/>, raw (not yet preprocessed).</summary>
    public IReadOnlyList<Fold> Folds(Dataset data, int seed) => split(data, seed);
}

/// <summary>Cross-validation of any scoring function.</summary>
public static class CrossValidation
{
    /// <summary>
    /// Scores each fold of <paramref name="data"/>: <paramref name="preprocessing"/> is fitted on the fold's training part
    /// only and applied to both parts before <paramref name="score"/> sees it, so no statistic of the validation rows
    /// leaks into training.
    /// </summary>
    public static CrossValidationScore Run(Dataset data, Validation validation, int seed, Pipeline preprocessing, Func<Fold, double> score) =>
        CrossValidationScore.Of([.. validation.Folds(data, seed).Select(f => score(f.Preprocess(preprocessing).Fold))]);
}

/// <summary>
/// A trial function for any declared network <typeparamref name="TNet"/>: per fold, a fresh network
/// (<c>TNet.Init(seed, scheme)</c>, the scheme from a categorical hyperparameter named <see cref="InitParameter"/> when
/// the space has one: <c>xavier</c>, <c>he</c>, <c>zeros</c>, <c>smallrandom</c>… as <see cref="Functional.Dsl.Init"/>
/// names them, any case; else the declaration's) trained with the optimizer and L2 strength the hyperparameters give, mini-batches shuffled
/// per epoch, the lecture's early kill watching every step. The folds are trained side by side, epoch by epoch, so
/// after each epoch the mean validation accuracy over folds is reported to the pruner; the score is the last epoch's
/// mean ± std.
/// </summary>
/// <param name="Data">The training data (raw: the preprocessing is fitted per fold).</param>
/// <param name="Validation">How it is split.</param>
/// <param name="Optimizer">The optimizer for a trial's hyperparameters and its total step count (for schedules), e.g. <c>(p, _) => Sgd.Momentum((float)p.Real("lr"), 0.9f)</c>.</param>
/// <param name="L2">The L2 strength for a trial's hyperparameters, e.g. <c>p => (float)p.Real("l2")</c>.</param>
/// <param name="Preprocessing">Fitted on each fold's training part only (default: none).</param>
/// <param name="Batch">Mini-batch size.</param>
/// <param name="BatchSeed">The batch order's seed for (study seed, epoch); the default is the FashionMnist example's, so its <c>train</c> reproduces a trial.</param>
public sealed record NetworkTrial<TNet>(Dataset Data, Validation Validation, Func<ParameterSet, int, Optimizer> Optimizer, Func<ParameterSet, float> L2,
    Pipeline? Preprocessing = null, int Batch = 64, Func<int, int, int>? BatchSeed = null)
    where TNet : class, INetwork<TNet>
{
    /// <summary>The hyperparameter that chooses the weight initialisation, when the space has it.</summary>
    public const string InitParameter = "init";

    /// <summary>
    /// The initialisation scheme <paramref name="parameters"/> choose (null: the declaration's, when there is no
    /// <see cref="InitParameter"/>).
    /// </summary>
    public static Functional.Dsl.Init? InitOf(ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.Contains(InitParameter) ? InitScheme(parameters.Choice(InitParameter)) : null;
    }

    /// <summary>The scheme called <paramref name="name"/> (any case: <c>xavier</c>, <c>he</c>…); throws naming the schemes there are for a name that is none.</summary>
    public static Functional.Dsl.Init InitScheme(string name) =>
        !string.IsNullOrEmpty(name) && char.IsLetter(name[0]) && Enum.TryParse<Functional.Dsl.Init>(name, ignoreCase: true, out var init) && Enum.IsDefined(init) ? init
            : throw new ArgumentException($"init \"{name}\" is no initialisation scheme (use {string.Join(", ", Enum.GetNames<Functional.Dsl.Init>().Select(n => n.ToLowerInvariant()))})");

    /// <summary>Runs one trial (the <see cref="TrialFunction"/>).</summary>
    public TrialResult Run(TrialContext context)
    {
        int seed = (int)context.Seed;
        var batchSeed = BatchSeed ?? ((s, epoch) => unchecked(s * 1_000_003 + epoch));
        var folds = FoldsFor(seed);
        var step = new TrainStep<TNet>().WithL2(L2(context.Parameters)).WithSeed(seed);
        int stepsPerEpoch = (folds[0].Train.Count + Batch - 1) / Batch;
        var optimizer = Optimizer(context.Parameters, stepsPerEpoch * context.Epochs);
        var init = InitOf(context.Parameters);
        var states = folds.Select(_ => TrainState.Of(TNet.Init(seed, init), optimizer)).ToArray();
        var kills = folds.Select(_ => new EarlyKill()).ToArray();
        var scores = new double[folds.Length];
        for (int epoch = 1; epoch <= context.Epochs; epoch++)
        {
            for (int f = 0; f < folds.Length; f++)
            {
                context.Cancelled.ThrowIfCancellationRequested();
                try { states[f] = folds[f].Train.Batches(Batch, batchSeed(seed, epoch)).Fold(states[f], step, kills[f]); }
                catch (TrainingDivergedException e) { return TrialResult.Failed($"diverged in epoch {epoch}{Of(folds.Length, f)}: {e.Message}", epoch); }
                if (kills[f].Reason is { } reason) return TrialResult.Failed($"early kill in epoch {epoch}{Of(folds.Length, f)}: {reason}", epoch);
                scores[f] = Evaluate.On(states[f].Model, folds[f].Validation).Accuracy;
            }
            double mean = scores.Average();
            if (epoch < context.Epochs && context.Report(epoch, mean)) return TrialResult.Pruned(mean, epoch);
            if (epoch == context.Epochs) context.Report(epoch, mean);
        }
        var score = CrossValidationScore.Of(scores);
        return TrialResult.Scored(score) with { EpochsRun = context.Epochs };
    }

    private static string Of(int folds, int f) => folds == 1 ? "" : $" of fold {f + 1}/{folds}";

    // The split and the preprocessing fitted on it depend on the data and the seed, not on the hyperparameters: made once
    // and shared by the trials of one seed (datasets are immutable), instead of copying and standardising every image
    // again for each trial. A copy made with `with` shares the slot; the key tells another data set or split apart.
    private readonly PreparedFolds prepared = new();

    private Fold[] FoldsFor(int seed)
    {
        lock (prepared)
        {
            if (prepared.Folds is { } held && prepared.Seed == seed && ReferenceEquals(prepared.Data, Data)
                && Equals(prepared.Validation, Validation) && Equals(prepared.Preprocessing, Preprocessing))
                return held;
            var folds = Validation.Folds(Data, seed).Select(f => f.Preprocess(Preprocessing ?? Pipeline.Empty).Fold).ToArray();
            (prepared.Seed, prepared.Data, prepared.Validation, prepared.Preprocessing, prepared.Folds) = (seed, Data, Validation, Preprocessing, folds);
            return folds;
        }
    }

    private sealed class PreparedFolds
    {
        public int Seed;
        public Dataset? Data;
        public Validation? Validation;
        public Pipeline? Preprocessing;
        public Fold[]? Folds;

        // Records compare their fields: a cache never makes two trials' definitions differ.
        public override bool Equals(object? obj) => obj is PreparedFolds;

        public override int GetHashCode() => 0;
    }
}
