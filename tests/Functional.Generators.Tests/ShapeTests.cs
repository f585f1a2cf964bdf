// Shape inference through the layer kinds: each layer is handed the shape the one before produced and says what it makes of it.
using Functional.Generators.Emitting;
using Functional.Generators.Model;

namespace Functional.Generators.Tests;

public sealed class ShapeTests
{
    private static NetworkShape ShapeOf(string source)
    {
        var outcome = GeneratorHarness.Run(source);
        return new NetworkShape((NetworkSpec)Assert.Single(outcome.RunResult.Results[0].TrackedSteps[TrackingNames.Valid]).Outputs.Single().Value);
    }

    [Fact]
    public void Dense_layers_chain_flat_shapes_from_the_input()
    {
        var net = ShapeOf(Declarations.FashionMlp);
        Assert.Equal(TensorShape.Flat(784), net.Input);
        Assert.Equal([(TensorShape.Flat(784), TensorShape.Flat(256)), (TensorShape.Flat(256), TensorShape.Flat(128)), (TensorShape.Flat(128), TensorShape.Flat(10))],
            net.Layers.Select(l => (l.Input, l.Output)));
        Assert.Equal("[784]", net.Input.ToString());
    }

    [Fact]
    public void Maxout_widens_the_product_but_not_the_output()
    {
        var pieces = ShapeOf(Declarations.StagedLayers).Layers.Single(l => l.Name == "Pieces");
        Assert.Equal((TensorShape.Flat(12), TensorShape.Flat(8), 24), (pieces.Input, pieces.Output, pieces.Width));
    }

    [Fact]
    public void An_image_shape_counts_channels_by_height_by_width()
    {
        var image = new TensorShape(3, 32, 32);
        Assert.Equal(3072, image.Size);
        Assert.False(image.IsFlat);
        Assert.Equal("[3, 32, 32]", image.ToString());
    }

    [Fact]
    public void Convolutions_pool_and_flatten_into_dense_layers()
    {
        var net = ShapeOf(Declarations.FashionCnn);
        Assert.Equal(new TensorShape(1, 28, 28), net.Input);
        Assert.Equal(784, net.Inputs);
        Assert.Equal([new TensorShape(16, 14, 14), new TensorShape(32, 7, 7), TensorShape.Flat(128), TensorShape.Flat(10)], net.Layers.Select(l => l.Output));
        Assert.Equal([new TensorShape(16, 28, 28), new TensorShape(32, 14, 14)], net.Layers.Take(2).Select(l => l.Convolved));
        // The dense layer reads the last convolution flattened: 32·7·7 inputs.
        Assert.Equal(1568, net.Layers[2].Inputs);
        Assert.Equal([416, 12_832, 200_832, 1_290], net.Layers.Select(l => l.ParameterTotal));
        Assert.Equal(215_370, net.ParameterCount);
    }

    [Fact]
    public void Stride_padding_and_overlapping_pooling_follow_PyTorchs_sizes()
    {
        // 13 → (13 + 2 − 3)/1 + 1 = 13; (13 + 2 − 3)/2 + 1 = 7, pooled 2 stride 1 → 6; (6 − 3)/1 + 1 = 4.
        var net = ShapeOf(Declarations.CnnStaged);
        Assert.Equal([new TensorShape(4, 13, 13), new TensorShape(6, 6, 6), new TensorShape(5, 4, 4), TensorShape.Flat(3)], net.Layers.Select(l => l.Output));
        Assert.Equal(new TensorShape(6, 7, 7), net.Layers[1].Convolved);
        Assert.Equal(2 * 6 * 49 * 4 * 9, net.Layers[1].Flops);
    }
}
