// Tests of Fashion-MNIST loading: where it looks and in which order, the checks across files, and the built-in subset.
using Functional.Data;

namespace Functional.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>
    /// Writes a complete, tiny Fashion-MNIST copy into <paramref name="name"/>: <paramref name="train"/> and
    /// <paramref name="test"/> 28×28 images with labels cycling through the classes.
    /// </summary>
    private string Copy(string name, int train, int test, bool gzip = true)
    {
        byte[] Pack(byte[] raw) => gzip ? IdxScratch.Gzip(raw) : raw;
        string suffix = gzip ? ".gz" : "";
        scratch.Write($"{name}/train-images-idx3-ubyte{suffix}", Pack(IdxScratch.Images(train, 28, 28)));
        scratch.Write($"{name}/train-labels-idx1-ubyte{suffix}", Pack(IdxScratch.Labels(Enumerable.Range(0, train).Select(i => i % 10).ToArray())));
        scratch.Write($"{name}/t10k-images-idx3-ubyte{suffix}", Pack(IdxScratch.Images(test, 28, 28)));
        scratch.Write($"{name}/t10k-labels-idx1-ubyte{suffix}", Pack(IdxScratch.Labels(Enumerable.Range(0, test).Select(i => i % 10).ToArray())));
        return Path.Combine(scratch.Path, name);
    }

    [Fact]
    public void Class_names_are_the_ten_in_label_order()
    {
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                     FashionMnist.ClassNames);
    }

    [Fact]
    public void A_directory_copy_loads_with_its_pixels_and_labels()
    {
        string dir = Copy("copy", train: 12, test: 3);
        var data = IdxScratch.Value(FashionMnist.Load(dir, null, null));

        Assert.Equal((12, 3), (data.Train.Count, data.Test.Count));
        Assert.Equal((784, 10), (data.Train.FeatureCount, data.Train.ClassCount));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], data.Train.Labels.ToArray());
        Assert.Equal(37 / 255f, data.Train.Features[1]);
        Assert.Equal($"Fashion-MNIST from {dir} (as given)", data.Source);
    }

    [Fact]
    public void Uncompressed_files_are_accepted()
    {
        string dir = Copy("raw", train: 4, test: 2, gzip: false);
        var data = IdxScratch.Value(FashionMnist.Load(dir, null, null));
        Assert.Equal((4, 2), (data.Train.Count, data.Test.Count));
    }

    [Fact]
    public void Resolution_order_is_explicit_then_environment_then_system_then_built_in()
    {
        string given = Copy("given", train: 3, test: 1);
        string environment = Copy("environment", train: 4, test: 1);
        string system = Copy("system", train: 5, test: 1);

        var fromGiven = IdxScratch.Value(FashionMnist.Load(given, environment, system));
        Assert.Equal(3, fromGiven.Train.Count);
        Assert.Equal($"Fashion-MNIST from {given} (as given)", fromGiven.Source);

        var fromEnvironment = IdxScratch.Value(FashionMnist.Load(null, environment, system));
        Assert.Equal(4, fromEnvironment.Train.Count);
        Assert.Equal($"Fashion-MNIST from {environment} ($FASHION_MNIST_DIR)", fromEnvironment.Source);

        var fromSystem = IdxScratch.Value(FashionMnist.Load(null, null, system));
        Assert.Equal(5, fromSystem.Train.Count);
        Assert.Equal($"Fashion-MNIST from {system} (Debian package dataset-fashion-mnist)", fromSystem.Source);
        Assert.Equal(5, IdxScratch.Value(FashionMnist.Load(null, "", system)).Train.Count); // empty variable = unset

        var builtIn = IdxScratch.Value(FashionMnist.Load(null, null, Path.Combine(scratch.Path, "not-installed")));
        Assert.Equal(4000, builtIn.Train.Count);
        Assert.Contains("built into Functional", builtIn.Source);
    }

    [Fact]
    public void An_incomplete_system_directory_is_skipped_for_the_built_in_subset()
    {
        string system = Copy("partial", train: 5, test: 1);
        File.Delete(Path.Combine(system, "t10k-labels-idx1-ubyte.gz"));

        var data = IdxScratch.Value(FashionMnist.Load(null, null, system));
        Assert.Equal(4000, data.Train.Count);
    }

    [Fact]
    public void A_missing_directory_given_explicitly_is_an_error_not_a_fallback()
    {
        string missing = Path.Combine(scratch.Path, "typo");
        string fallback = Copy("fallback", train: 3, test: 1);

        var message = IdxScratch.Message(FashionMnist.Load(missing, fallback, fallback));
        Assert.Contains($"Fashion-MNIST directory {missing} (as given) does not exist", message);

        var fromEnvironment = IdxScratch.Message(FashionMnist.Load(null, missing, fallback));
        Assert.Contains($"Fashion-MNIST directory {missing} ($FASHION_MNIST_DIR) does not exist", fromEnvironment);
    }

    [Theory]
    [InlineData("", "no directory name given (the path is empty; expected the Fashion-MNIST directory (as given))")]
    [InlineData("   ", "no directory name given (the path \"   \" is only white space; expected the Fashion-MNIST directory (as given))")]
    public async Task An_empty_directory_name_is_called_empty_not_missing(string given, string expected)
    {
        string fallback = Copy("fallback", train: 3, test: 1);
        Assert.Equal(expected, IdxScratch.Message(FashionMnist.Load(given, fallback, fallback)));
        // Directory.CreateDirectory("") threw ArgumentException out of a Fin-returning method.
        Assert.Equal("no directory name given (the path is empty; expected the Fashion-MNIST cache directory)",
                     IdxScratch.Message(await FashionMnistDownload.FetchAsync("")));
    }

    [Fact]
    public void A_given_directory_without_the_files_names_the_missing_ones()
    {
        string dir = Copy("incomplete", train: 3, test: 1);
        File.Delete(Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        File.Delete(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"));

        var message = IdxScratch.Message(FashionMnist.Load(dir, null, null));
        Assert.Contains(dir, message);
        Assert.Contains("has no train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz", message);
    }

    [Fact]
    public void Image_and_label_count_mismatch_names_both_files_and_counts()
    {
        string dir = Copy("mismatch", train: 3, test: 1);
        string labels = scratch.Write("mismatch/train-labels-idx1-ubyte.gz", IdxScratch.Gzip(IdxScratch.Labels(0, 1)));
        string images = Path.Combine(dir, "train-images-idx3-ubyte.gz");

        var message = IdxScratch.Message(FashionMnist.Load(dir, null, null));
        Assert.Contains($"{images} holds 3 images", message);
        Assert.Contains($"{labels} holds 2 labels", message);
    }

    [Fact]
    public void Label_out_of_range_names_the_row_and_the_file()
    {
        string dir = Copy("badlabel", train: 3, test: 2);
        string labels = scratch.Write("badlabel/t10k-labels-idx1-ubyte.gz", IdxScratch.Gzip(IdxScratch.Labels(4, 10)));

        var message = IdxScratch.Message(FashionMnist.Load(dir, null, null));
        Assert.Contains("row 1 has label 10", message);
        Assert.Contains(labels, message);
    }

    [Fact]
    public void Images_of_another_shape_are_rejected()
    {
        string dir = Copy("mnist-ish", train: 3, test: 1);
        string images = scratch.Write("mnist-ish/train-images-idx3-ubyte.gz", IdxScratch.Gzip(IdxScratch.Images(3, 32, 32)));

        var message = IdxScratch.Message(FashionMnist.Load(dir, null, null));
        Assert.Contains($"{images}: images are 32×32 pixels", message);
    }

    [Fact]
    public void A_corrupt_file_in_a_named_directory_is_reported_with_its_path()
    {
        string dir = Copy("corrupt", train: 3, test: 1);
        string images = scratch.Write("corrupt/t10k-images-idx3-ubyte.gz", IdxScratch.Gzip(IdxScratch.Labels(1)));

        var message = IdxScratch.Message(FashionMnist.Load(dir, null, null));
        Assert.StartsWith($"{images}: expected magic number 0x00000803", message);
    }

    [Fact]
    public void The_built_in_subset_is_4000_and_1000_images_balanced_over_the_ten_classes()
    {
        var data = IdxScratch.Value(FashionMnist.FromBuiltInSubset());

        Assert.Equal((4000, 1000), (data.Train.Count, data.Test.Count));
        Assert.Equal((784, 10), (data.Train.FeatureCount, data.Train.ClassCount));
        Assert.Equal(Enumerable.Repeat(400, 10), CountPerClass(data.Train));
        Assert.Equal(Enumerable.Repeat(100, 10), CountPerClass(data.Test));
        Assert.Equal("the 4,000-image subset built into Functional (+1,000 test images; install dataset-fashion-mnist for the full 70,000)",
                     data.Source);
        // Real images: bright and dark pixels both occur, and every value is a byte over 255.
        var pixels = data.Test.Features;
        Assert.Equal(1f, TensorMax(pixels));
        Assert.Equal(0f, TensorMin(pixels));
        Assert.InRange(Mean(pixels), 0.2, 0.45); // Fashion-MNIST's mean pixel is about 0.286
    }

    [Fact]
    public void The_full_set_loads_from_the_debian_package_or_the_lookup_falls_back_to_the_subset()
    {
        var data = IdxScratch.Value(FashionMnist.Load(null, null, FashionMnist.SystemDirectory));
        bool installed = FashionMnist.FileNames.All(f => File.Exists(Path.Combine(FashionMnist.SystemDirectory, f)));

        if (installed)
        {
            Assert.Equal((60_000, 10_000), (data.Train.Count, data.Test.Count));
            Assert.Equal(Enumerable.Repeat(6000, 10), CountPerClass(data.Train));
            Assert.Equal("Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist)", data.Source);
        }
        else
        {
            Assert.Equal((4000, 1000), (data.Train.Count, data.Test.Count));
            Assert.Contains("built into Functional", data.Source);
        }
    }

    private static int[] CountPerClass(Dataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (int label in data.Labels) counts[label]++;
        return counts;
    }

    private static float TensorMax(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.Max(values);
    private static float TensorMin(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.Min(values);

    private static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += v;
        return sum / values.Length;
    }
}
