// Seeded splits for model selection: stratified hold-out and stratified k-fold cross-validation, as data a search can iterate.
namespace Functional.Data;

/// <summary>One split of a data set: a part to fit on and a part to validate on. <see cref="Index"/> counts from 0.</summary>
public sealed record Fold(int Index, Dataset Train, Dataset Validation)
{
    /// <summary>Deconstructs into the training and validation parts: <c>var (train, validation) = fold</c>.</summary>
    public void Deconstruct(out Dataset train, out Dataset validation) => (train, validation) = (Train, Validation);

    /// <summary>
    /// Fits <paramref name="pipeline"/> on this fold's training part only and applies it to both parts, so the
    /// validation part stays as unseen as a test set would be.
    /// </summary>
    public (Fold Fold, FittedPipeline Fitted) Preprocess(Pipeline pipeline)
    {
        var (fitted, train) = pipeline.FitTransform(Train);
        return (this with { Train = train, Validation = fitted.Apply(Validation) }, fitted);
    }
}

/// <summary>
/// Splits for the hyperparameter search. Stratified splits keep each class's share the same in every part (within
/// one sample), so a small validation part does not happen to miss a class. The same seed gives the same splits.
/// </summary>
public static class Folds
{
    /// <summary>
    /// Stratified k-fold cross-validation: each class's rows are shuffled and dealt to the k folds in turn, the deal
    /// continuing across classes so fold sizes differ by at most one. Fold i validates on its rows and trains on the rest.
    /// </summary>
    public static IReadOnlyList<Fold> Stratified(Dataset data, int k, int seed)
    {
        if (k < 2 || k > data.Count)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k-fold cross-validation of {data.Name} ({data.Count} rows) needs 2 ≤ k ≤ {data.Count}");
        var fold = new int[data.Count];
        var random = new SeededRandom(seed);
        int next = 0;
        foreach (var rows in ByClass(data))
        {
            random.Shuffle(rows);
            foreach (var row in rows) fold[row] = next++ % k;
        }
        return [.. Enumerable.Range(0, k).Select(f => Part(data, fold, f, $"fold {f + 1}/{k}"))];
    }

    /// <summary>
    /// A stratified hold-out split: <paramref name="validationCount"/> rows for validation, each class represented in
    /// proportion to its share (within one row), the rest for training.
    /// </summary>
    public static Fold HoldOut(Dataset data, int validationCount, int seed)
    {
        if (validationCount <= 0 || validationCount >= data.Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"must be between 1 and {data.Count - 1} for {data.Name} of {data.Count} rows");
        // Largest-remainder apportionment: class c gets ⌊m·n_c/n⌋ rows, and the rows left over go to the classes with
        // the largest fractional parts (ties broken at random), so each count is within one of its exact share.
        var random = new SeededRandom(seed);
        var classes = ByClass(data);
        var quota = classes.Select(rows => (double)validationCount * rows.Length / data.Count).ToArray();
        var take = quota.Select(q => (int)Math.Floor(q)).ToArray();
        var tieBreak = classes.Select(_ => random.NextDouble()).ToArray();
        var byRemainder = Enumerable.Range(0, classes.Count).OrderByDescending(c => quota[c] - take[c]).ThenBy(c => tieBreak[c]).ToArray();
        for (int i = 0, left = validationCount - take.Sum(); i < left; i++) take[byRemainder[i]]++;

        var fold = new int[data.Count];
        Array.Fill(fold, 1);
        for (int c = 0; c < classes.Count; c++)
        {
            random.Shuffle(classes[c]);
            for (int i = 0; i < take[c]; i++) fold[classes[c][i]] = 0;
        }
        return Part(data, fold, 0, "hold-out");
    }

    /// <summary>Row indices of each class, in file order.</summary>
    private static List<int[]> ByClass(Dataset data)
    {
        var labels = data.Labels;
        var groups = new List<int>[data.ClassCount];
        for (int c = 0; c < groups.Length; c++) groups[c] = [];
        for (int i = 0; i < labels.Length; i++) groups[labels[i]].Add(i);
        return [.. groups.Where(g => g.Count > 0).Select(g => g.ToArray())];
    }

    private static Fold Part(Dataset data, int[] fold, int index, string what)
    {
        var validation = Enumerable.Range(0, data.Count).Where(i => fold[i] == index).ToArray();
        var train = Enumerable.Range(0, data.Count).Where(i => fold[i] != index).ToArray();
        return new Fold(index, data.Subset(train, $"{data.Name} ({what} train)"), data.Subset(validation, $"{data.Name} ({what} validation)"));
    }
}
