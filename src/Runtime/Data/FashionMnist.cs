// Finds and loads Fashion-MNIST: a named directory, $FASHION_MNIST_DIR, the Debian package, or the subset built into Functional.
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace Functional.Data;

/// <summary>
/// Zalando's Fashion-MNIST (28×28 grey clothing images, 10 classes) as a training and a test set, with
/// <see cref="Source"/> saying in one sentence which copy was read, so every report can state what it measured.
/// </summary>
public sealed record FashionMnist(Dataset Train, Dataset Test, string Source)
{
    /// <summary>The environment variable naming a directory to load the files from ($FASHION_MNIST_DIR), tried after an explicit directory.</summary>
    public const string EnvironmentVariable = "FASHION_MNIST_DIR";
    /// <summary>Where the Debian package installs the files, tried after the environment variable.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";
    /// <summary>The images' width and height in pixels: 28.</summary>
    public const int ImageSide = 28;

    /// <summary>The class names in label order (label 0 is "T-shirt/top").</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The four files every copy holds (gzip-compressed; an uncompressed file of the name without .gz also counts).</summary>
    public static IReadOnlyList<string> FileNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    private const string TrainImages = "train-images-idx3-ubyte.gz";
    private const string TrainLabels = "train-labels-idx1-ubyte.gz";
    private const string TestImages = "t10k-images-idx3-ubyte.gz";
    private const string TestLabels = "t10k-labels-idx1-ubyte.gz";
    private const string ResourcePrefix = "Functional/fashion-mnist-subset/";

    /// <summary>
    /// Loads from the first of: <paramref name="directory"/>; $FASHION_MNIST_DIR; /usr/share/datasets/fashion-mnist
    /// when all four files are there; the 4,000 + 1,000-image subset built into Functional. A directory that was
    /// named (by argument or variable) but lacks the files is an error: silently training on other data would make
    /// every number reported afterwards a lie.
    /// </summary>
    public static Fin<FashionMnist> Load(string? directory = null) =>
        Load(directory, Environment.GetEnvironmentVariable(EnvironmentVariable), SystemDirectory);

    /// <summary>The same lookup with the environment and the system directory passed in, so tests can stage each case.</summary>
    internal static Fin<FashionMnist> Load(string? directory, string? environmentDirectory, string? systemDirectory)
    {
        if (directory is not null) return FromDirectory(directory, "as given");
        // An empty variable is how shells unset things in practice (FASHION_MNIST_DIR= cmd), so it counts as unset.
        if (!string.IsNullOrEmpty(environmentDirectory)) return FromDirectory(environmentDirectory, "$" + EnvironmentVariable);
        if (systemDirectory is not null && FileNames.All(f => Locate(systemDirectory, f) is not null))
            return FromDirectory(systemDirectory, "Debian package dataset-fashion-mnist");
        return FromBuiltInSubset();
    }

    /// <summary>The subset built into the assembly, whatever else is installed (fast, for examples and tests).</summary>
    public static Fin<FashionMnist> FromBuiltInSubset()
    {
        var assembly = typeof(FashionMnist).Assembly;
        string NameOf(string file) => $"{file} (built into {assembly.GetName().Name})";

        Fin<T> Read<T>(string file, Func<Stream, string, Fin<T>> read)
        {
            using var stream = assembly.GetManifestResourceStream(ResourcePrefix + file);
            return stream is null
                ? Error.New($"{NameOf(file)}: the resource {ResourcePrefix + file} is missing; the build did not embed data/fashion-mnist-subset")
                : read(stream, NameOf(file));
        }

        return from train in Split("train", NameOf(TrainImages), () => Read<IdxImages>(TrainImages, Idx.ReadImages),
                                            NameOf(TrainLabels), () => Read<int[]>(TrainLabels, Idx.ReadLabels))
               from test in Split("test", NameOf(TestImages), () => Read<IdxImages>(TestImages, Idx.ReadImages),
                                          NameOf(TestLabels), () => Read<int[]>(TestLabels, Idx.ReadLabels))
               select new FashionMnist(train, test,
                   $"the {train.Count:N0}-image subset built into Functional (+{test.Count:N0} test images; " +
                   "install dataset-fashion-mnist for the full 70,000)");
    }

    private static Fin<FashionMnist> FromDirectory(string directory, string how)
    {
        if (DataPaths.DirectoryNameProblem(directory, $"the Fashion-MNIST directory ({how})") is { } problem) return Error.New(problem);
        string where = $"Fashion-MNIST directory {directory} ({how})";
        if (!Directory.Exists(directory))
            return Error.New($"{where} does not exist (not falling back to another copy, because this one was asked for)");
        var missing = FileNames.Where(f => Locate(directory, f) is null).ToList();
        if (missing.Count > 0)
            return Error.New($"{where} has no {string.Join(", ", missing)} (gzip-compressed, or uncompressed without .gz); " +
                             "not falling back to another copy, because this one was asked for");
        string PathOf(string file) => Locate(directory, file)!;
        return from train in Split("train", PathOf(TrainImages), () => Idx.ReadImages(PathOf(TrainImages)),
                                            PathOf(TrainLabels), () => Idx.ReadLabels(PathOf(TrainLabels)))
               from test in Split("test", PathOf(TestImages), () => Idx.ReadImages(PathOf(TestImages)),
                                          PathOf(TestLabels), () => Idx.ReadLabels(PathOf(TestLabels)))
               select new FashionMnist(train, test, $"Fashion-MNIST from {directory} ({how})");
    }

    /// <summary>The file's path in <paramref name="directory"/>, preferring the .gz, or null if neither form is there.</summary>
    private static string? Locate(string directory, string gzName)
    {
        string gz = Path.Combine(directory, gzName);
        if (File.Exists(gz)) return gz;
        string raw = gz[..^".gz".Length];
        return File.Exists(raw) ? raw : null;
    }

    /// <summary>One split from its image and label files, checked against each other and against Fashion-MNIST's shape.</summary>
    private static Fin<Dataset> Split(string split, string imagesName, Func<Fin<IdxImages>> readImages,
                                      string labelsName, Func<Fin<int[]>> readLabels) =>
        from images in readImages()
        from labels in readLabels()
        from shape in images.Rows == ImageSide && images.Columns == ImageSide
            ? FinSucc(unit)
            : FinFail<Unit>(Error.New($"{imagesName}: images are {images.Rows}×{images.Columns} pixels, but Fashion-MNIST's are {ImageSide}×{ImageSide}"))
        from counts in images.Count == labels.Length
            ? FinSucc(unit)
            : FinFail<Unit>(Error.New($"{imagesName} holds {images.Count:N0} images but {labelsName} holds {labels.Length:N0} labels; they must pair up one to one"))
        // Dataset.Create names the row of a bad label; the file names tell the reader where to look.
        from data in Dataset.Create($"Fashion-MNIST {split}", images.Pixels, labels, images.PixelsPerImage, ClassNames.Count)
            .BiMap(d => d, e => Error.New($"{e.Message} (in {labelsName}, with images from {imagesName})"))
        select data;
}
