// Data sources besides CSV: in-memory arrays and IDX file pairs, and the checks that tie a train and a test set together.
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace Functional.Data;

/// <summary>Builds validated data sets from arrays and IDX files, and checks that a test set fits its training set.</summary>
public static class Sources
{
    /// <summary>
    /// Samples given as one array per row. Fails, naming <paramref name="name"/> and the row, for ragged rows, a
    /// label count that differs from the row count, a label out of range, a NaN or infinite feature, or no rows.
    /// </summary>
    public static Fin<Dataset> FromRows(string name, IReadOnlyList<float[]> rows, IReadOnlyList<int> labels, int classCount)
    {
        if (rows.Count == 0) return Error.New($"{name}: no rows; the set is empty");
        if (labels.Count != rows.Count) return Error.New($"{name}: {rows.Count} rows but {labels.Count} labels; they must pair up one to one");
        int width = rows[0]?.Length ?? 0;
        if (width == 0) return Error.New($"{name}: row 0 has no features");
        if ((long)rows.Count * width > System.Array.MaxLength) return Error.New($"{name}: {rows.Count:N0} rows of {width:N0} features do not fit in one array");
        var features = new float[rows.Count * width];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null || rows[i].Length != width)
                return Error.New($"{name}: row {i} has {rows[i]?.Length ?? 0} features, but row 0 has {width}; every row must have the same number");
            rows[i].CopyTo(features, i * width);
        }
        return Dataset.Create(name, features, [.. labels], width, classCount);
    }

    /// <summary>Samples given as a [rows, features] matrix (copied).</summary>
    public static Fin<Dataset> FromMatrix(string name, float[,] features, IReadOnlyList<int> labels, int classCount)
    {
        int n = features.GetLength(0), d = features.GetLength(1);
        if (n == 0) return Error.New($"{name}: no rows; the set is empty");
        if (labels.Count != n) return Error.New($"{name}: {n} rows but {labels.Count} labels; they must pair up one to one");
        var flat = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) flat[i * d + j] = features[i, j];
        return Dataset.Create(name, flat, [.. labels], d, classCount);
    }

    /// <summary>An image file and a label file in IDX format (the MNIST family), paired and checked.</summary>
    public static Fin<Dataset> FromIdx(string imagesPath, string labelsPath, int classCount) =>
        from images in Idx.ReadImages(imagesPath)
        from labels in Idx.ReadLabels(labelsPath)
        from pairs in images.Count == labels.Length
            ? FinSucc(unit)
            : FinFail<Unit>(Error.New($"{imagesPath} holds {images.Count:N0} images but {labelsPath} holds {labels.Length:N0} labels; they must pair up one to one"))
        from data in Dataset.Create(Path.GetFileName(imagesPath), images.Pixels, labels, images.PixelsPerImage, classCount)
            .BiMap(d => d, e => Error.New($"{e.Message} (in {labelsPath})"))
        select data;

    /// <summary>
    /// Checks that <paramref name="test"/> can be evaluated by a model trained on <paramref name="train"/>: the same
    /// number of features per row and the same classes. Returns the pair for chaining.
    /// </summary>
    public static Fin<(Dataset Train, Dataset Test)> Matching(Dataset train, Dataset test)
    {
        if (test.FeatureCount != train.FeatureCount)
            return Error.New($"{test.Name} has {test.FeatureCount} features per row, but {train.Name} has {train.FeatureCount}; " +
                             "a model trained on one cannot read the other");
        if (test.ClassCount != train.ClassCount)
            return Error.New($"{test.Name} has {test.ClassCount} classes, but {train.Name} has {train.ClassCount}");
        return (train, test);
    }

    /// <summary>Reads a training and a test CSV file and checks that they match.</summary>
    public static Fin<(Dataset Train, Dataset Test)> CsvPair(string trainPath, string testPath, CsvLayout layout) =>
        from train in Csv.Read(trainPath, layout)
        from test in Csv.Read(testPath, layout)
        from pair in Matching(train, test)
        select pair;
}
