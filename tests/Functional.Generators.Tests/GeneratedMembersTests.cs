// Proves the generator's list of member names (GeneratedMembers) is exactly what the emitter declares, so collision checks cannot drift from the code.
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Functional.Generators.Tests;

public sealed class GeneratedMembersTests
{
    [Theory]
    [MemberData(nameof(Declarations.All), MemberType = typeof(Declarations))]
    public void The_list_names_exactly_the_members_the_emitter_declares(string name, string source)
    {
        var outcome = GeneratorHarness.Run(source, GeneratorHarness.ImplicitUsings);
        var spec = (NetworkSpec)Assert.Single(outcome.RunResult.Results[0].TrackedSteps[TrackingNames.Valid]).Outputs.Single().Value;
        var tree = CSharpSyntaxTree.ParseText(outcome.SingleSource, GeneratorHarness.ParseOptions);
        var record = tree.GetRoot().DescendantNodes().OfType<RecordDeclarationSyntax>().Single(r => r.Identifier.ValueText == spec.Name);
        var workspace = record.Members.OfType<ClassDeclarationSyntax>().Single(c => c.Identifier.ValueText == GeneratedMembers.WorkspaceClass);

        var listed = GeneratedMembers.Of(new NetworkShape(spec)).ToList();
        Assert.Equal(listed.Count, listed.Select(m => (m.Scope, m.Name)).Distinct().Count());
        Assert.Equal(Names(listed, MemberScope.Record), DeclaredNames(record), StringComparer.Ordinal);
        Assert.Equal(Names(listed, MemberScope.Workspace), DeclaredNames(workspace), StringComparer.Ordinal);
        _ = name;
    }

    [Fact]
    public void The_workspace_base_members_are_the_runtime_class_members()
    {
        var declared = typeof(global::Functional.Workspace).GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic
                | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => m is System.Reflection.PropertyInfo or System.Reflection.FieldInfo { IsPrivate: false } or System.Reflection.MethodInfo { IsSpecialName: false, IsPrivate: false })
            .Select(m => m.Name).Order(StringComparer.Ordinal);
        Assert.Equal(declared, GeneratedMembers.WorkspaceBase.Order(StringComparer.Ordinal));
    }

    private static IEnumerable<string> Names(IEnumerable<GeneratedMember> members, MemberScope scope) =>
        members.Where(m => m.Scope == scope).Select(m => m.Name).Distinct().Order(StringComparer.Ordinal);

    /// <summary>Every name a type declaration adds to its own scope; explicit interface implementations add none, constructors take the type's name.</summary>
    private static IEnumerable<string> DeclaredNames(TypeDeclarationSyntax type)
    {
        var names = new List<string>();
        foreach (var member in type.Members)
        {
            switch (member)
            {
                case FieldDeclarationSyntax field: names.AddRange(field.Declaration.Variables.Select(v => v.Identifier.ValueText)); break;
                case PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property: names.Add(property.Identifier.ValueText); break;
                case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method: names.Add(method.Identifier.ValueText); break;
                case BaseTypeDeclarationSyntax nested: names.Add(nested.Identifier.ValueText); break;
                case PropertyDeclarationSyntax or MethodDeclarationSyntax or ConstructorDeclarationSyntax: break;
                default: Assert.Fail($"{type.Identifier.ValueText} declares a {member.Kind()} the test does not know how to name: teach GeneratedMembers and this test about it."); break;
            }
        }
        return names.Distinct().Order(StringComparer.Ordinal);
    }
}
