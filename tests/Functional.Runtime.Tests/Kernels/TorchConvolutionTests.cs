// Our convolution and pooling against torch.nn.functional 1.13's own outputs and autograd gradients (TorchReference/*.json, made by bench/conv_reference.py).
using System.Text.Json;
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

/// <summary>
/// These check conventions rather than arithmetic (the reference comparisons do that): cross-correlation, NCHW, where
/// padding goes, floor division of output sizes, the weights' [F, C, KH, KW] order, which input a tied max-pool window
/// hands its gradient to. Torch sums in its own order, so a float result may differ from ours by both roundings: each
/// element is allowed 2·(n + 2)·u·Σ|terms|, Σ|terms| from the double reference over absolute values. Max pooling's
/// values and indices must be equal.
/// </summary>
public sealed class TorchConvolutionTests(ITestOutputHelper output)
{
    private const double U = 1.0 / (1 << 24);
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Kernels", "TorchReference");

    public static TheoryData<string, Isa> Fixtures() => TorchFixture.Cases(Folder);

    private static float[] Floats(JsonElement root, string name) => TorchFixture.Floats(root, name);
    private static int Int(JsonElement root, string name) => TorchFixture.Int(root, name);

    private void Close(string what, string name, Isa isa, float[] ours, float[] torch, double[] absolute, int terms)
        => TorchFixture.Close(output, what, name, isa, ours, torch, i => 2 * (terms + 2) * U * absolute[i]);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Matches_torch_nn_functional(string name, Isa isa)
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
        var root = fixture.RootElement;
        var x = Floats(root, "x");
        var upstream = Floats(root, "upstream");
        int batch = Int(root, "batch"), channels = Int(root, "channels"), height = Int(root, "height"), width = Int(root, "width");
        int kh = Int(root, "kernel_height"), kw = Int(root, "kernel_width");
        using var _ = Cpu.Pin(isa);
        switch (root.GetProperty("op").GetString())
        {
            case "conv2d":
            {
                var s = new Conv2dShape(batch, channels, height, width, Int(root, "filters"), kh, kw, Int(root, "stride"), Int(root, "padding"));
                float[] w = Floats(root, "weight"), b = Floats(root, "bias");
                Assert.Equal(Floats(root, "y").Length, s.Batch * s.OutputSize); // torch's output size is ours
                var (y, dw, db, dx) = (new float[s.Batch * s.OutputSize], new float[s.WeightCount], new float[s.Filters], new float[s.Batch * s.InputSize]);
                Convolution.Forward<Identity>(x, w, b, y, s);
                Convolution.WeightGradient(x, upstream, dw, db, s);
                Convolution.InputGradient(upstream, w, dx, s);
                var ax = ConvolutionTests.Abs(x);
                var (absW, absB) = Reference.Conv2dWeightGradient(ax, ConvolutionTests.Abs(upstream), s);
                Close("y", name, isa, y, Floats(root, "y"), Reference.Conv2d(ax, [.. ConvolutionTests.Abs(w), .. ConvolutionTests.Abs(b)], 0, s.WeightCount, s, Reference.Identity), s.PatchSize);
                Close("dweight", name, isa, dw, Floats(root, "dweight"), absW, s.Batch * s.OutputPixels);
                Close("dbias", name, isa, db, Floats(root, "dbias"), absB, s.Batch * s.OutputPixels);
                Close("dx", name, isa, dx, Floats(root, "dx"), Reference.Conv2dInputGradient(ConvolutionTests.Abs(upstream), ConvolutionTests.Abs(w), s), s.Filters * kh * kw);
                break;
            }
            case "max_pool2d":
            {
                var s = new Pool2dShape(batch, channels, height, width, kh, kw, Int(root, "stride_height"), Int(root, "stride_width"));
                var (y, indices, dx) = (new float[s.Batch * s.OutputSize], new int[s.Batch * s.OutputSize], new float[s.Batch * s.InputSize]);
                MaxPool2d.Forward(x, y, indices, s);
                MaxPool2d.Backward(upstream, indices, dx, s);
                Assert.Equal(Floats(root, "y"), y);
                Assert.Equal(root.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()), indices);
                // Where windows overlap, an input that wins several sums their gradients, in torch's order or ours.
                int terms = (kh + s.StrideHeight - 1) / s.StrideHeight * ((kw + s.StrideWidth - 1) / s.StrideWidth);
                Close("dx", name, isa, dx, Floats(root, "dx"), Reference.MaxPool2dBackward(Reference.Widen(x), ConvolutionTests.Abs(upstream), s), terms);
                break;
            }
            case "avg_pool2d":
            {
                var s = new Pool2dShape(batch, channels, height, width, kh, kw, Int(root, "stride_height"), Int(root, "stride_width"));
                var (y, dx) = (new float[s.Batch * s.OutputSize], new float[s.Batch * s.InputSize]);
                AvgPool2d.Forward(x, y, s);
                AvgPool2d.Backward(upstream, dx, s);
                int terms = (kh + s.StrideHeight - 1) / s.StrideHeight * ((kw + s.StrideWidth - 1) / s.StrideWidth);
                Close("y", name, isa, y, Floats(root, "y"), Reference.AvgPool2d(ConvolutionTests.Abs(x), s), kh * kw);
                Close("dx", name, isa, dx, Floats(root, "dx"), Reference.AvgPool2dBackward(ConvolutionTests.Abs(upstream), s), terms + 1);
                break;
            }
            default:
                Assert.Fail($"{name}: unknown op {root.GetProperty("op").GetString()}");
                break;
        }
    }

    [Fact]
    public void Every_kind_of_fixture_is_there()
    {
        var ops = Directory.EnumerateFiles(Folder, "*.json")
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("op").GetString())
            .ToHashSet();
        Assert.Equal(["avg_pool2d", "conv2d", "max_pool2d"], ops.Order());
    }
}
