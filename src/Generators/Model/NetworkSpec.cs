// The generator's model of a network declaration: plain values only, so it can be cached and compared.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Functional.Generators.Model;

// These types must stay immutable and structurally equal (strings, numbers, enums, EquatableArray): an ISymbol,
// SyntaxNode or Location here would pin a whole compilation in memory and make every run look changed.

/// <summary>A [Network] declaration as written, including what is wrong with it (the checker judges).</summary>
internal sealed record NetworkSpec(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string Name,
    TypeShape Shape,
    bool IsPartial,
    int? Inputs,
    EquatableArray<LayerSpec> Layers,
    LocationInfo Location,
    string? UnsupportedForm = null,
    EquatableArray<UserMember> UserMembers = default,
    ImageSpec? Image = null);

/// <summary>[Network(Channels, Height, Width)] as written: each null when not given (a network of flat inputs gives none).</summary>
internal sealed record ImageSpec(int? Channels, int? Height, int? Width);

/// <summary>A member the user declared in the record's body (any part): its name, what kind it is ("method", "property", …) and where.</summary>
internal sealed record UserMember(string Name, string Kind, LocationInfo Location);

/// <summary>What kind of type carries the [Network] attribute: only <see cref="RecordClass"/> is valid.</summary>
internal enum TypeShape { RecordClass, RecordStruct, Class, Struct, Interface }

/// <summary>A type the network is nested in; it must be partial for the generated part to join it.</summary>
internal sealed record ContainingType(string Keyword, string Name, bool IsPartial, LocationInfo Location);

/// <summary>
/// One positional parameter of the record: a layer, or something that was meant to be one. <see cref="Kind"/> names the
/// layer kind whose attribute was written (<c>"Dense"</c>; null when none was), <see cref="Units"/> is what that kind
/// produces per position (a dense layer's outputs); the rest are the activation, loss, batch norm and dropout written
/// beside it. Shapes are not here: they are inferred (<see cref="TensorShape"/>) from the network's input onwards.
/// </summary>
internal sealed record LayerSpec(
    string Name,
    string TypeName,
    string? Kind,
    int? Units,
    InitKind Init,
    float InitStd,
    float BiasInit,
    EquatableArray<ActivationSpec> Activations,
    EquatableArray<string> Losses,
    int LossPosition,
    BatchNormSpec? BatchNorm,
    float? Dropout,
    LocationInfo Location,
    EquatableArray<UndefinedEnumArgument> UndefinedEnums = default,
    ConvSpec? Conv = null,
    EquatableArray<PoolSpec> Pools = default)
{
    /// <summary>The single pooling stage, or null (valid specs have at most one, and only on a convolution).</summary>
    public PoolSpec? Pool => Pools.Length == 0 ? null : Pools[0];
    /// <summary>The single activation, or null for a linear layer (valid specs have at most one).</summary>
    public ActivationSpec? Activation => Activations.Length == 0 ? null : Activations[0];
    public string? Loss => Losses.Length == 0 ? null : Losses[0];
}

/// <summary>
/// An activation as declared: its name as written (Relu, LeakyRelu, Swish, …), its number (leaky slope, ELU α),
/// Maxout's k, PReLU's sharing, and where it stood among the parameter's attributes (to catch one written after the
/// loss). What the name means is the business of its piece in <c>Kinds/Activations</c>.
/// </summary>
internal sealed record ActivationSpec(string Kind, float Number, int Pieces, bool Shared, int Position);

/// <summary>
/// An enum-typed attribute argument whose value is none of the enum's members (<c>Init = (Init)42</c>): the attribute,
/// the argument, the value as written, and the enum's members by name, so the checker can list them.
/// </summary>
internal sealed record UndefinedEnumArgument(string Attribute, string Argument, string Value, string EnumName, EquatableArray<string> Defined);

/// <summary>
/// A convolution's sizes as written (<see cref="LayerSpec.Units"/> holds its filters too, so the rules about missing
/// widths apply to it unchanged): square kernels, one stride and one padding for both axes.
/// </summary>
internal sealed record ConvSpec(int Filters, int Kernel, int Stride, int Padding);

/// <summary>Which pooling a convolution layer carries after its activation.</summary>
internal enum PoolKind { Max, Avg }

/// <summary>A pooling stage as written: its kind, square window, and stride (null: the window's size, PyTorch's default).</summary>
internal sealed record PoolSpec(PoolKind Kind, int Size, int? Stride)
{
    /// <summary>The stride in use: the written one, else the window's size.</summary>
    public int Step => Stride ?? Size;
}

/// <summary>Batch normalization's two constants.</summary>
internal sealed record BatchNormSpec(float Momentum, float Epsilon);

/// <summary>Mirrors Functional.Dsl.Init (the generator cannot reference the Dsl assembly at run time).</summary>
internal enum InitKind { Default = 0, Xavier = 1, He = 2, Zeros = 3, SmallRandom = 4, XavierUniform = 5, HeUniform = 6 }

/// <summary>A source location kept as values, turned back into a <see cref="Location"/> only when reporting.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location?.SourceTree is null) return null;
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }
}

/// <summary>A diagnostic as values: which catalog entry, where, and its message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments);
