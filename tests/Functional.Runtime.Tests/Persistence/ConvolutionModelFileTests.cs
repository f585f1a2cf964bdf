// A convolution layer's geometry is part of a model file's layout: kept on a round trip, and a file of another geometry refused naming it.
using Functional.Data;
using Functional.Persistence;
using Functional.Tests.Data;

namespace Functional.Tests.Persistence;

public sealed class ConvolutionModelFileTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>[1, 6, 6] → conv 2 filters 3×3 (padding <paramref name="padding"/>, then <paramref name="pooling"/> 2×2) → dense 3, as the generator lays it out.</summary>
    private static NetworkLayout Layout(int padding, PoolingKind pooling)
    {
        var conv = new Conv2dLayout(1, 6, 6, 2, 3, 1, padding, pooling, 2, 2, WeightsOffset: 0, BiasOffset: 18);
        int flat = conv.OutputSize;
        return new("Cnn", 36, 3, 20 + flat * 3 + 3, 0,
        [
            new LayerLayout("Conv", conv),
            new LayerLayout("Scores", DenseLayout.Plain(20, flat, 3)),
        ]);
    }

    private string Saved(NetworkLayout layout)
    {
        string path = Path.Combine(dir.Path, "cnn.fnm");
        var parameters = Enumerable.Range(0, layout.ParameterCount).Select(i => (i - 7) / 9f).ToArray();
        var data = Dataset.Create("d", new float[36 * 2], [0, 1], 36, 3).ThrowIfFail();
        IdxScratch.Value(ModelFile.Write(path, new ModelFile.ModelContents(layout, parameters, [], Preprocess.None.Fit(data))));
        return path;
    }

    [Fact]
    public void A_convolution_layout_round_trips_and_dense_layouts_are_written_as_before()
    {
        var layout = Layout(padding: 1, PoolingKind.Max);
        string path = Saved(layout);
        var read = IdxScratch.Value(ModelFile.Read(path, layout, "Cnn"));
        Assert.Equal(Enumerable.Range(0, layout.ParameterCount).Select(i => (i - 7) / 9f), read.Parameters);
        // The conv layer's per-sample sizes are its image's, not its dense view's.
        Assert.Equal((36, 2 * 3 * 3), (layout.Layers[0].Inputs, layout.Layers[0].Outputs));
        string head = System.Text.Json.JsonSerializer.Serialize(layout);
        Assert.Contains("\"Convolution\":{\"Channels\":1", head, StringComparison.Ordinal);
        // A dense layer carries no convolution field at all, so dense files read exactly as before.
        Assert.DoesNotContain("\"Convolution\":null", head, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_of_another_geometry_is_refused_naming_the_file_and_what_differs()
    {
        // Average instead of max pooling: every tensor lies where it did, only the convolution's geometry differs.
        string path = Saved(Layout(padding: 1, PoolingKind.Max));
        string refused = IdxScratch.Message(ModelFile.Read(path, Layout(padding: 1, PoolingKind.Average), "Cnn"));
        Assert.StartsWith($"{path}: saved from network Cnn, whose layout differs from Cnn's: layer 1", refused, StringComparison.Ordinal);
        Assert.Contains("is laid out differently", refused, StringComparison.Ordinal);
        // PoolingKind.Max is 1 and Average 2, as the layout is written.
        Assert.Contains("convolution pooling 1 in the file, 2 in Cnn", refused, StringComparison.Ordinal);

        // No padding: a smaller image out, so a narrower dense layer after it; the counts say so.
        string reshaped = IdxScratch.Message(ModelFile.Read(path, Layout(padding: 0, PoolingKind.Max), "Cnn"));
        Assert.StartsWith(path, reshaped, StringComparison.Ordinal);
        Assert.Contains("parameterCount", reshaped, StringComparison.Ordinal);
    }
}
