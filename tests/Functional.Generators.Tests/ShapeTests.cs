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
}
