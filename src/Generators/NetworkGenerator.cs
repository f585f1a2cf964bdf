// The incremental generator's pipeline, top to bottom: find [Network] records → parse → check → emit.
using System.Linq;
using Functional.Generators.Checking;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using Functional.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Functional.Generators;

[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. Every type carrying [Network], parsed into a value-only spec (no symbols survive this step).
        var specs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.NetworkAttribute,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Specs);

        // 2. Each spec judged against the rules; diagnostics travel as values too.
        var checkedSpecs = specs
            .Select(static (spec, _) => new CheckedSpec(spec, Checker.Check(spec)))
            .WithTrackingName(TrackingNames.Checked);

        context.RegisterSourceOutput(checkedSpecs, static (spc, item) =>
        {
            foreach (var d in item.Diagnostics)
                spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.ById[d.Id], d.Location?.ToLocation(), d.Arguments.ToArray<object>()));
        });

        // 3. Only declarations without errors are emitted: half-typed code gets diagnostics, not broken source.
        var valid = checkedSpecs
            .Where(static item => item.Diagnostics.Length == 0 && item.Spec.Layers.All(l => l.Units is not null))
            .Select(static (item, _) => item.Spec)
            .WithTrackingName(TrackingNames.Valid);

        context.RegisterSourceOutput(valid, static (spc, spec) =>
            spc.AddSource(HintName(spec), Emitter.Emit(spec)));
    }

    private static string HintName(NetworkSpec spec)
    {
        var parts = new[] { spec.Namespace }.Concat(spec.ContainingTypes.Select(c => c.Name)).Append(spec.Name).Where(p => p is not null);
        return string.Join(".", parts) + ".g.cs";
    }

    private sealed record CheckedSpec(NetworkSpec Spec, EquatableArray<DiagnosticInfo> Diagnostics);
}
