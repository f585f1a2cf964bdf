// Batch.Gather: the rows a batch names, copied in order, on one thread or several, and refused when they do not exist.
using Functional.Data;
using Functional.Kernels;
using Functional.Tests.Kernels;

namespace Functional.Tests.Data;

/// <summary>Changes <see cref="Parallelism.Threads"/>, so it shares the collection that runs such tests alone.</summary>
[Collection(ThreadSettingCollection.Name)]
public sealed class BatchTests
{
    /// <summary>Row i holds i·1000 + column, label i mod 7: every copied value says where it came from.</summary>
    private static Dataset Numbered(int count, int width)
    {
        var features = new float[count * width];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < width; j++) features[i * width + j] = i * 1000 + j;
        return Dataset.Create("numbered", features, [.. Enumerable.Range(0, count).Select(i => i % 7)], width, 7).ThrowIfFail();
    }

    /// <summary>Small batches (one thread, fewer rows than the look-ahead) and one above the size that is split over threads.</summary>
    [Theory]
    [InlineData(1, 1, 5)]
    [InlineData(1, 3, 5)]
    [InlineData(2, 3, 5)]
    [InlineData(1, 64, 784)]
    [InlineData(2, 64, 784)]
    [InlineData(3, 65, 784)]
    public void Gather_copies_the_named_rows_and_labels_in_order(int threads, int rows, int width)
    {
        var data = Numbered(500, width);
        int[] picks = [.. Enumerable.Range(0, rows).Select(i => (i * 137 + 11) % data.Count)];
        var features = new float[rows * width];
        var labels = new int[rows];

        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try { new Batch(data, picks).Gather(features, labels); }
        finally { Parallelism.Threads = saved; }

        for (int i = 0; i < rows; i++)
        {
            Assert.Equal(picks[i] % 7, labels[i]);
            for (int j = 0; j < width; j++)
                Assert.True(features[i * width + j] == picks[i] * 1000 + j, $"row {i} (source row {picks[i]}), column {j}: {features[i * width + j]}");
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    public void A_row_outside_the_data_set_is_refused_by_name(int row)
    {
        var data = Numbered(10, 4);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Batch(data, new[] { 0, row }).Gather(new float[8], new int[2]));
        Assert.Contains($"row {row}", error.Message);
        Assert.Contains("numbered", error.Message);
    }

    [Fact]
    public void Buffers_too_small_for_the_batch_are_refused()
    {
        var data = Numbered(10, 4);
        var error = Assert.Throws<ArgumentException>(() => new Batch(data, new[] { 1, 2, 3 }).Gather(new float[11], new int[3]));
        Assert.Contains("12 features", error.Message);
    }
}
