// The convolution layer kind: [Conv2d(filters, kernel)] on a Conv2d parameter — its attribute, rules and shapes (its code is in Conv2d.Emit.cs).
using System.Globalization;
using System.Linq;
using Functional.Generators.Checking;
using Functional.Generators.Kinds.Activations;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Kinds.Layers;

/// <summary>
/// y = pool(f(conv(x, W) + b)) over an image x [C, H, W], W [F, C, K, K] (PyTorch's layout and cross-correlation), one
/// bias per filter. It hosts the layer's stages in PyTorch's usual order: batch norm per channel (γ, β replace b), the
/// activation, pooling, dropout. Only pointwise activations: PReLU's and Maxout's passes are written for dense widths.
/// </summary>
internal sealed partial class Conv2d : LayerKind
{
    public override string Name => "Conv2d";
    public override string Attribute => "Functional.Dsl.Conv2dAttribute";
    public override string ParameterType => "Functional.Conv2d";

    public override void Read(AttributeData attribute, LayerBuilder layer)
    {
        layer.Kind = Name;
        if (attribute.ConstructorArguments.Length == 2 && attribute.ConstructorArguments[0].Value is int filters && attribute.ConstructorArguments[1].Value is int kernel)
        {
            int stride = 1, padding = 0;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "Stride" && named.Value.Value is int s) stride = s;
                if (named.Key == "Padding" && named.Value.Value is int p) padding = p;
            }
            layer.Units = filters;
            layer.Conv = new ConvSpec(filters, kernel, stride, padding);
        }
        ReadInit(attribute, layer);
    }

    public override void Check(LayerSpec layer, TensorShape input, string shapes, Report report)
    {
        CheckInit(layer, report);
        if (layer.Conv is not { } conv) return;
        string N(int v) => v.ToString(CultureInfo.InvariantCulture);
        if (conv.Filters <= 0) report(Diagnostics.ConvSizeOutOfRange, layer.Location, layer.Name, "Filters", N(conv.Filters), "at least 1", shapes);
        if (conv.Kernel <= 0) report(Diagnostics.ConvSizeOutOfRange, layer.Location, layer.Name, "Kernel", N(conv.Kernel), "at least 1", shapes);
        if (conv.Stride <= 0) report(Diagnostics.ConvSizeOutOfRange, layer.Location, layer.Name, "Stride", N(conv.Stride), "at least 1", shapes);
        if (conv.Padding < 0) report(Diagnostics.ConvSizeOutOfRange, layer.Location, layer.Name, "Padding", N(conv.Padding), "0 or more", shapes);
        var pool = layer.Pool;
        if (pool is not null && pool.Size <= 0) report(Diagnostics.ConvSizeOutOfRange, layer.Location, layer.Name, $"the {PoolName(pool)} window", N(pool.Size), "at least 1", shapes);
        if (pool?.Stride is int ps && ps <= 0) report(Diagnostics.ConvSizeOutOfRange, layer.Location, layer.Name, $"the {PoolName(pool)} stride", N(ps), "at least 1", shapes);
        if (layer.Activation is { } a && Registry.ActivationNamed(a.Kind) is { Derivative: Derivative.OwnPass })
            report(Diagnostics.Unsupported, layer.Location, layer.Name, "activation", $"{a.Kind} on a convolution",
                string.Join(", ", Registry.Activations.Where(x => x.Derivative != Derivative.OwnPass).SelectMany(x => x.Aliases.Prepend(x.Name))));
        if (layer.Loss is { } loss) report(Diagnostics.ConvLossLayer, layer.Location, layer.Name, loss);
        if (layer.Pools.Length > 1)
            report(Diagnostics.TwoPools, layer.Location, layer.Name, N(layer.Pools.Length), string.Join(", ", layer.Pools.Select(PoolName)));

        if (input.IsFlat)
        {
            // The trail is "input … → Layer ✗" for the first layer: then the flat input is the network's own.
            bool first = shapes.Split(new[] { " → " }, System.StringSplitOptions.None).Length == 2;
            report(Diagnostics.ConvNeedsImage, layer.Location, layer.Name, input.ToString(),
                first ? "a flat vector (the network declares only Inputs)" : "a flat vector (a dense layer's output)", shapes);
            return;
        }
        if (conv.Filters <= 0 || conv.Kernel <= 0 || conv.Stride <= 0 || conv.Padding < 0) return;
        int paddedH = input.Height + 2 * conv.Padding, paddedW = input.Width + 2 * conv.Padding;
        string padded = conv.Padding == 0 ? input.ToString() : $"{input} padded by {N(conv.Padding)} ({N(paddedH)}×{N(paddedW)})";
        if (conv.Kernel > paddedH || conv.Kernel > paddedW)
        {
            report(Diagnostics.WindowTooLarge, layer.Location, layer.Name, "kernel", $"{N(conv.Kernel)}×{N(conv.Kernel)}", padded, shapes);
            return;
        }
        // One report per layer: the columns are judged once the rows divide.
        if (!Whole(layer, "the kernel", paddedH, "rows", conv.Kernel, conv.Stride, conv.Padding, shapes, report)
            || !Whole(layer, "the kernel", paddedW, "columns", conv.Kernel, conv.Stride, conv.Padding, shapes, report)) return;
        if (pool is null || pool.Size <= 0 || pool.Step <= 0) return;
        var convolved = ConvOutput(layer, input);
        if (pool.Size > convolved.Height || pool.Size > convolved.Width)
        {
            report(Diagnostics.WindowTooLarge, layer.Location, layer.Name, $"{PoolName(pool)} window", $"{N(pool.Size)}×{N(pool.Size)}", $"{convolved} (the convolution's output)", shapes);
            return;
        }
        _ = Whole(layer, $"the {PoolName(pool)} window", convolved.Height, "rows", pool.Size, pool.Step, 0, shapes, report)
            && Whole(layer, $"the {PoolName(pool)} window", convolved.Width, "columns", pool.Size, pool.Step, 0, shapes, report);
    }

    /// <summary>FN0032 unless (size − window) is a multiple of the stride: the last step must end on the last row or column.</summary>
    private static bool Whole(LayerSpec layer, string what, int size, string axis, int window, int stride, int padding, string shapes, Report report)
    {
        int reach = size - window;
        if (reach % stride == 0) return true;
        string N(int v) => v.ToString(CultureInfo.InvariantCulture);
        string over = padding == 0 ? $"{N(size)}" : $"{N(size - 2 * padding)} + 2·{N(padding)}";
        report(Diagnostics.NotWhole, layer.Location, layer.Name, $"{what} {N(window)} with stride {N(stride)}", over, axis,
            $"{over} − {N(window)}", N(stride), (reach / (double)stride + 1).ToString("0.###", CultureInfo.InvariantCulture), N(reach % stride), shapes);
        return false;
    }

    public static string PoolName(PoolSpec pool) => pool.Kind == PoolKind.Max ? "MaxPool2d" : "AvgPool2d";

    /// <summary>The convolution's output before pooling: F × ⌊(H + 2P − K)/S⌋ + 1 × …; nonsense sizes (already reported) give at least 1.</summary>
    public static TensorShape ConvOutput(LayerSpec layer, TensorShape input)
    {
        if (layer.Conv is not { } c) return TensorShape.Flat(0);
        int stride = System.Math.Max(1, c.Stride), padding = System.Math.Max(0, c.Padding), kernel = System.Math.Max(1, c.Kernel);
        int Side(int n) => System.Math.Max(1, (n + 2 * padding - kernel) / stride + 1);
        return new TensorShape(System.Math.Max(0, c.Filters), Side(input.Height), Side(input.Width));
    }

    public override TensorShape OutputShape(LayerSpec layer, TensorShape input)
    {
        var convolved = ConvOutput(layer, input);
        if (layer.Pool is not { } pool) return convolved;
        int size = System.Math.Max(1, pool.Size), step = System.Math.Max(1, pool.Step);
        int Side(int n) => System.Math.Max(1, (n - size) / step + 1);
        return new TensorShape(convolved.Channels, Side(convolved.Height), Side(convolved.Width));
    }

    public override long ParameterCount(LayerSpec layer, TensorShape input)
    {
        if (layer.Conv is not { } c) return 0;
        long filters = System.Math.Max(0, c.Filters), weights = filters * input.Channels * (long)c.Kernel * c.Kernel;
        return weights + (layer.BatchNorm is null ? filters : 2 * filters);
    }

    public override long Flops(LayerSpec layer, TensorShape input)
    {
        if (layer.Conv is not { } c) return 0;
        var o = ConvOutput(layer, input);
        return 2L * o.Size * input.Channels * c.Kernel * c.Kernel;
    }
}
