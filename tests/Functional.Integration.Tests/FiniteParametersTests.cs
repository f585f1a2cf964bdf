// The generated FromParameters refuses NaN and infinity in the parameter and buffer blocks, naming the layer and tensor.
namespace Functional.Integration.Tests;

public sealed class FiniteParametersTests
{
    [Fact]
    public void A_NaN_parameter_is_refused_naming_its_layer_and_tensor()
    {
        var parameters = TinyMlp.Init(1).Parameters.ToArray();
        int offset = TinyMlp.Layout.Layers[1].WeightsOffset + 2;
        parameters[offset] = float.NaN;

        var e = Assert.Throws<ArgumentException>(() => TinyMlp.FromParameters(parameters));

        Assert.Equal("parameters", e.ParamName);
        Assert.Contains("TinyMlp", e.Message, StringComparison.Ordinal);
        Assert.Contains("Hidden2.W[2] = NaN", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_infinite_buffer_is_refused_naming_its_layer_and_tensor()
    {
        var model = ReluBn.Init(1);
        var parameters = model.Parameters.ToArray();
        var buffers = model.Buffers.ToArray();
        buffers[ReluBn.Layout.Layers[0].Dense.RunningVarianceOffset + 1] = float.PositiveInfinity;

        var e = Assert.Throws<ArgumentException>(() => ReluBn.FromParameters(parameters, buffers));

        Assert.Equal("buffers", e.ParamName);
        Assert.Contains("ReluBn buffers", e.Message, StringComparison.Ordinal);
        Assert.Contains("Hidden1.running variance[1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finite_blocks_are_accepted()
    {
        var model = ReluBn.Init(2);
        var copy = ReluBn.FromParameters(model.Parameters.ToArray(), model.Buffers.ToArray());
        Assert.Equal(model.Parameters.ToArray(), copy.Parameters.ToArray());
    }
}
