// Reads a [Network] declaration into a NetworkSpec: what was written, not yet judged; never throws on half-typed code. Each layer attribute is read by its piece.
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Functional.Generators.Kinds;
using Functional.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Functional.Generators.Parsing;

internal static class Parser
{
    public const string NetworkAttribute = "Functional.Dsl.NetworkAttribute";
    private const string DslNamespace = "Functional.Dsl";
    private const string ActivationBase = "Functional.Dsl.ActivationAttribute";
    private const string LossBase = "Functional.Dsl.LossAttribute";

    /// <summary>The spec of the declaration, or null when this is a second [Network] on another part of the same partial type.</summary>
    public static NetworkSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellation)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        // A partial type may carry [Network] on several parts (itself a compile error, CS0579): describe it once.
        var firstAttribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkAttribute)?.ApplicationSyntaxReference;
        if (firstAttribute is not null && (firstAttribute.SyntaxTree != syntax.SyntaxTree || !syntax.Span.Contains(firstAttribute.Span)))
            return null;
        var location = LocationInfo.From(syntax.Identifier.GetLocation())!;

        var shape = syntax switch
        {
            RecordDeclarationSyntax r when r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => TypeShape.RecordStruct,
            RecordDeclarationSyntax => TypeShape.RecordClass,
            StructDeclarationSyntax => TypeShape.Struct,
            InterfaceDeclarationSyntax => TypeShape.Interface,
            _ => TypeShape.Class,
        };

        return new NetworkSpec(
            Namespace: type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            ContainingTypes: ContainingTypes(syntax),
            Name: type.Name,
            Shape: shape,
            IsPartial: syntax.Modifiers.Any(SyntaxKind.PartialKeyword),
            Inputs: ReadInputs(context.Attributes),
            Layers: shape == TypeShape.RecordClass ? ReadLayers(type, cancellation) : EquatableArray<LayerSpec>.Empty,
            Location: location,
            UnsupportedForm: UnsupportedForm(type, syntax),
            UserMembers: shape == TypeShape.RecordClass ? UserMembers(type, cancellation) : EquatableArray<UserMember>.Empty,
            Image: ReadImage(context.Attributes));
    }

    /// <summary>
    /// The named members written in the bodies of every part of the record, in source order, so the checker can tell
    /// the user which of them would collide with generated ones. Explicit interface implementations and constructors
    /// name nothing in the record's scope and are left out.
    /// </summary>
    private static EquatableArray<UserMember> UserMembers(INamedTypeSymbol type, CancellationToken cancellation)
    {
        var members = new List<UserMember>();
        void Add(SyntaxToken identifier, string kind)
        {
            if (LocationInfo.From(identifier.GetLocation()) is { } at) members.Add(new UserMember(identifier.ValueText, kind, at));
        }
        foreach (var reference in type.DeclaringSyntaxReferences.OrderBy(r => r.SyntaxTree.FilePath, System.StringComparer.Ordinal).ThenBy(r => r.Span.Start))
        {
            if (reference.GetSyntax(cancellation) is not TypeDeclarationSyntax part) continue;
            foreach (var member in part.Members)
            {
                switch (member)
                {
                    case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } m: Add(m.Identifier, "method"); break;
                    case PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } p: Add(p.Identifier, "property"); break;
                    case EventDeclarationSyntax { ExplicitInterfaceSpecifier: null } e: Add(e.Identifier, "event"); break;
                    case BaseFieldDeclarationSyntax f:
                        foreach (var v in f.Declaration.Variables)
                            Add(v.Identifier, f is EventFieldDeclarationSyntax ? "event" : f.Modifiers.Any(SyntaxKind.ConstKeyword) ? "constant" : "field");
                        break;
                    case BaseTypeDeclarationSyntax t: Add(t.Identifier, "type"); break;
                    case DelegateDeclarationSyntax d: Add(d.Identifier, "delegate"); break;
                }
            }
        }
        return members.ToEquatableArray();
    }

    /// <summary>Declaration forms the generator cannot emit for, named for the diagnostic.</summary>
    private static string? UnsupportedForm(INamedTypeSymbol type, TypeDeclarationSyntax syntax)
    {
        if (type.TypeParameters.Length > 0) return "generic";
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            if (outer.TypeParameters.Length > 0) return $"nested in the generic type '{outer.Name}'";
        if (type.IsAbstract) return "abstract";
        if (syntax.Modifiers.Any(SyntaxKind.FileKeyword)) return "file-local";
        return null;
    }

    private static int? ReadInputs(System.Collections.Immutable.ImmutableArray<AttributeData> attributes)
    {
        foreach (var attribute in attributes)
            foreach (var named in attribute.NamedArguments)
                if (named.Key == "Inputs" && named.Value.Value is int inputs)
                    return inputs;
        return null;
    }

    /// <summary>[Network(Channels, Height, Width)]: null when none of the three is written.</summary>
    private static ImageSpec? ReadImage(System.Collections.Immutable.ImmutableArray<AttributeData> attributes)
    {
        int? Named(string key)
        {
            foreach (var attribute in attributes)
                foreach (var named in attribute.NamedArguments)
                    if (named.Key == key && named.Value.Value is int value) return value;
            return null;
        }
        var image = new ImageSpec(Named("Channels"), Named("Height"), Named("Width"));
        return image.Channels is null && image.Height is null && image.Width is null ? null : image;
    }

    private static EquatableArray<ContainingType> ContainingTypes(TypeDeclarationSyntax syntax)
    {
        var list = new List<ContainingType>();
        for (var parent = syntax.Parent as TypeDeclarationSyntax; parent is not null; parent = parent.Parent as TypeDeclarationSyntax)
        {
            string keyword = parent is RecordDeclarationSyntax record
                ? record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record"
                : parent.Keyword.ValueText;
            list.Insert(0, new ContainingType(keyword, parent.Identifier.ValueText, parent.Modifiers.Any(SyntaxKind.PartialKeyword),
                LocationInfo.From(parent.Identifier.GetLocation())!));
        }
        return list.ToEquatableArray();
    }

    private static EquatableArray<LayerSpec> ReadLayers(INamedTypeSymbol type, CancellationToken cancellation)
    {
        // The primary constructor is the one declared by a record's parameter list.
        var primary = type.InstanceConstructors.FirstOrDefault(c =>
            c.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellation) is RecordDeclarationSyntax));
        if (primary is null) return EquatableArray<LayerSpec>.Empty;
        return primary.Parameters.Select(ReadLayer).ToEquatableArray();
    }

    private static LayerSpec ReadLayer(IParameterSymbol parameter)
    {
        var layer = new LayerBuilder();
        int position = 0;
        foreach (var attribute in parameter.GetAttributes())
        {
            position++;
            var cls = attribute.AttributeClass;
            if (cls is null || cls.TypeKind == TypeKind.Error) continue;
            string name = cls.ToDisplayString();
            layer.UndefinedEnums.AddRange(UndefinedEnums(attribute, ShortName(cls)));
            // Each attribute is read by the piece it names; an activation or loss no piece knows is kept by name for FN0013.
            if (Registry.LayerByAttribute(name) is { } kind) kind.Read(attribute, layer);
            else if (Registry.StageByAttribute(name) is { } stage) stage.Read(attribute, layer);
            else if (DerivesFrom(cls, ActivationBase)) layer.Activations.Add(ReadActivation(PieceName(cls), attribute, position));
            else if (DerivesFrom(cls, LossBase))
            {
                layer.Losses.Add(PieceName(cls));
                if (layer.LossPosition < 0) layer.LossPosition = position;
            }
        }
        var location = LocationInfo.From(parameter.Locations.FirstOrDefault())
            ?? new LocationInfo("", default, default);
        return layer.Build(parameter.Name, parameter.Type.ToDisplayString(), location);
    }

    /// <summary>
    /// Every enum-typed argument of <paramref name="attribute"/> (positional or named) whose value is no member of its
    /// enum. The pieces reading the arguments keep the default for such a value, so without this it would be replaced silently.
    /// </summary>
    private static IEnumerable<UndefinedEnumArgument> UndefinedEnums(AttributeData attribute, string attributeName)
    {
        var arguments = attribute.NamedArguments.Select(n => (n.Key, n.Value)).ToList();
        if (attribute.AttributeConstructor is { } constructor)
            for (int i = 0; i < attribute.ConstructorArguments.Length && i < constructor.Parameters.Length; i++)
                arguments.Add((constructor.Parameters[i].Name, attribute.ConstructorArguments[i]));
        foreach (var (argument, value) in arguments)
        {
            // A [Flags] enum's combinations are not members; none is declared today, so such enums are left alone.
            if (value.Kind != TypedConstantKind.Enum || value.Type is not INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType || value.Value is null
                || enumType.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.FlagsAttribute"))
                continue;
            var members = enumType.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).ToList();
            long written = System.Convert.ToInt64(value.Value, System.Globalization.CultureInfo.InvariantCulture);
            if (members.Any(f => System.Convert.ToInt64(f.ConstantValue, System.Globalization.CultureInfo.InvariantCulture) == written)) continue;
            yield return new UndefinedEnumArgument(attributeName, argument, written.ToString(System.Globalization.CultureInfo.InvariantCulture),
                enumType.Name, members.Select(f => f.Name).ToEquatableArray());
        }
    }

    /// <summary>An activation as its piece reads it; one no piece knows keeps only its name and position.</summary>
    private static ActivationSpec ReadActivation(string name, AttributeData attribute, int position) =>
        Registry.ActivationNamed(name)?.Read(name, attribute, position) ?? new ActivationSpec(name, 0f, Pieces: 1, Shared: false, position);

    private static bool DerivesFrom(INamedTypeSymbol type, string baseName)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (t.ToDisplayString() == baseName) return true;
        return false;
    }

    /// <summary>
    /// The name a piece is looked up by: ours by their short name (Functional.Dsl.ReluAttribute → Relu), anyone else's by
    /// their full one (global::Samples.Swish), so a user's own SwishAttribute is reported as unsupported, never taken for ours.
    /// </summary>
    private static string PieceName(INamedTypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() == DslNamespace ? ShortName(type) : WithoutSuffix(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));

    /// <summary>ReluAttribute → Relu.</summary>
    private static string ShortName(INamedTypeSymbol type) => WithoutSuffix(type.Name);

    private static string WithoutSuffix(string name) =>
        name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
}
