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
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.Specs);

        // 2. Each spec judged against the rules; diagnostics travel as values too.
        var checkedSpecs = specs
            .Select(static (spec, _) => new CheckedSpec(spec, Checker.Check(spec)))
            .WithTrackingName(TrackingNames.Checked);

        // Diagnostics travel as values and are reported from their own output. Their locations are rebuilt from
        // path and span rather than from a syntax tree, which keeps this step independent of the compilation (and
        // cached); the price is that #pragma cannot silence FN warnings — .editorconfig's dotnet_diagnostic.FNxxxx.severity can.
        context.RegisterSourceOutput(checkedSpecs, static (spc, item) =>
        {
            foreach (var d in item.Diagnostics)
                spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.ById[d.Id], d.Location?.ToLocation(), d.Arguments.ToArray<object>()));
        });

        // 3. Only declarations without errors are emitted (warnings do not stop them): half-typed code gets
        //    diagnostics, not broken source.
        var valid = checkedSpecs
            .Where(static item => item.Diagnostics.All(d => Diagnostics.ById[d.Id].DefaultSeverity != DiagnosticSeverity.Error)
                                  && item.Spec.Layers.All(l => l.Units is not null && l.Name.Length > 0))
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
