// Judges a parsed network spec: every rule a declaration must satisfy, each failure one catalog diagnostic.
using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using Functional.Generators.Emitting;
using Functional.Generators.Kinds;
using Functional.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Checking;

internal static class Checker
{
    /// <summary>All problems with <paramref name="spec"/>; empty when it can be emitted.</summary>
    public static EquatableArray<DiagnosticInfo> Check(NetworkSpec spec)
    {
        var found = new List<DiagnosticInfo>();
        Report Report = (d, at, args) => found.Add(new DiagnosticInfo(d.Id, at ?? spec.Location, args.ToEquatableArray()));

        if (spec.Shape != TypeShape.RecordClass)
        {
            // Nothing else is meaningful until the declaration is the right kind of type.
            Report(Diagnostics.NotARecord, spec.Location, spec.Name, ShapeWord(spec.Shape));
            return found.ToEquatableArray();
        }
        if (!spec.IsPartial) Report(Diagnostics.NotPartial, spec.Location, spec.Name);
        if (spec.UnsupportedForm is not null) Report(Diagnostics.UnsupportedForm, spec.Location, spec.Name, spec.UnsupportedForm);
        foreach (var container in spec.ContainingTypes.Where(c => !c.IsPartial))
            Report(Diagnostics.ContainerNotPartial, container.Location, container.Name, spec.Name);

        CheckInput(spec, Report);

        if (spec.Layers.Length == 0)
        {
            Report(Diagnostics.NoLayers, spec.Location, spec.Name);
            return found.ToEquatableArray();
        }

        // Names are checked against what the emitter would declare for this declaration, finished or not.
        var shape = new NetworkShape(spec);
        var members = GeneratedMembers.Of(shape);
        var reserved = new HashSet<string>(members.Where(m => m.Layer is null && m.Scope == MemberScope.Record).Select(m => m.Name));
        var input = shape.Input;
        string trail = $"input {input}";
        // After a layer whose shape is impossible, the shapes after it are guesses: their shape diagnostics would only repeat it.
        // So is every shape after an input that is missing or wrong.
        bool shapeBroken = found.Any(d => d.Id == Diagnostics.PartialImage.Id || d.Id == Diagnostics.NoInputs.Id || d.Id == Diagnostics.NonPositiveWidth.Id || d.Id == Diagnostics.InputsMismatch.Id);
        foreach (var layer in spec.Layers)
        {
            if (reserved.Contains(layer.Name))
                Report(Diagnostics.ReservedName, layer.Location, layer.Name, spec.Name, string.Join(", ", reserved.OrderBy(n => n, System.StringComparer.Ordinal)));
            var kind = Registry.LayerNamed(layer.Kind);
            if (kind is null || layer.TypeName != kind.ParameterType)
            {
                string missing = kind is null ? ", without [Dense]" : "";
                Report(Diagnostics.NotALayer, layer.Location, layer.Name, spec.Name, layer.TypeName, missing);
                continue;
            }
            int before = found.Count;
            Report layerReport = shapeBroken ? (d, at, args) => { if (!ShapeDiagnostics.Contains(d.Id)) Report(d, at, args); } : Report;
            kind.Check(layer, input, $"{trail} → {layer.Name} ✗", layerReport);
            shapeBroken |= found.Skip(before).Any(d => ShapeDiagnostics.Contains(d.Id));
            input = kind.OutputShape(layer, input);
            trail += $" → {layer.Name} {input}";
            foreach (var activation in layer.Activations.Where(a => Registry.ActivationNamed(a.Kind) is null))
                Report(Diagnostics.Unsupported, layer.Location, layer.Name, "activation", activation.Kind, string.Join(", ", Registry.ActivationNames));
            foreach (var activation in layer.Activations) Registry.ActivationNamed(activation.Kind)?.Check(layer, activation, Report);
            foreach (var stage in Registry.Stages) stage.Check(layer, Report);
            CheckInitAdvice(layer, Report);
            foreach (var e in layer.UndefinedEnums)
                Report(Diagnostics.UndefinedEnumValue, layer.Location, layer.Name, e.Attribute, e.Argument, e.Value, e.EnumName, string.Join(", ", e.Defined));
            foreach (var loss in layer.Losses.Where(l => Registry.LossNamed(l) is null))
                Report(Diagnostics.Unsupported, layer.Location, layer.Name, "loss", loss, string.Join(", ", Registry.Losses.Select(l => l.Name)));
            if (layer.Activations.Length > 1)
                Report(Diagnostics.TwoActivations, layer.Location, layer.Name, layer.Activations.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(", ", layer.Activations.Select(a => a.Kind)));
        }

        CheckGeneratedNames(spec, members, Report);
        CheckUserMembers(spec, members, Report);

        long size = ParameterCount(spec);
        if (size > MaxArrayLength)
            Report(Diagnostics.TooLarge, spec.Location, spec.Name, size.ToString("N0", CultureInfo.InvariantCulture), MaxArrayLength.ToString("N0", CultureInfo.InvariantCulture));

        var withLoss = spec.Layers.Where(l => l.Losses.Length > 0).ToList();
        int lossCount = withLoss.Sum(l => l.Losses.Length);
        var last = spec.Layers[spec.Layers.Length - 1];
        if (lossCount == 0)
            Report(Diagnostics.NoLoss, spec.Location, spec.Name, last.Name);
        else if (lossCount > 1)
            Report(Diagnostics.TwoLosses, withLoss[withLoss.Count - 1].Location, spec.Name, lossCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                string.Join(", ", withLoss.SelectMany(l => l.Losses.Select(loss => $"{loss} on {l.Name}"))));
        foreach (var layer in withLoss.Where(l => !ReferenceEquals(l, last)))
            Report(Diagnostics.LossNotLast, layer.Location, layer.Name, last.Name);
        foreach (var layer in withLoss)
        {
            foreach (var late in layer.Activations.Where(a => a.Position > layer.LossPosition))
                Report(Diagnostics.ActivationAfterLoss, layer.Location, layer.Name, late.Kind, layer.Loss!);
        }
        if (lossCount > 0 && last.Losses.Length > 0 && last.Units is int classes && classes is > 0 and < 2)
            Report(Diagnostics.TooFewClasses, last.Location, last.Name, classes.ToString(System.Globalization.CultureInfo.InvariantCulture));

        if (found.All(d => Diagnostics.ById[d.Id].DefaultSeverity != DiagnosticSeverity.Error)) Report(Diagnostics.Totals, spec.Location, Totals(shape));
        return found.ToEquatableArray();
    }

    /// <summary>The diagnostics that say a shape is impossible; a layer after one is not judged on its (guessed) shape again.</summary>
    private static readonly HashSet<string> ShapeDiagnostics =
        [Diagnostics.ConvSizeOutOfRange.Id, Diagnostics.WindowTooLarge.Id, Diagnostics.NotWhole.Id, Diagnostics.ConvNeedsImage.Id];

    /// <summary>Inputs as a width, or as Channels × Height × Width (all three), or both when they agree.</summary>
    private static void CheckInput(NetworkSpec spec, Report report)
    {
        string N(int v) => v.ToString(CultureInfo.InvariantCulture);
        if (spec.Image is { } image)
        {
            var given = new[] { ("Channels", image.Channels), ("Height", image.Height), ("Width", image.Width) };
            var missing = given.Where(g => g.Item2 is null).Select(g => g.Item1).ToList();
            if (missing.Count > 0)
            {
                report(Diagnostics.PartialImage, spec.Location, spec.Name, string.Join(" and ", given.Where(g => g.Item2 is not null).Select(g => $"{g.Item1} = {N(g.Item2!.Value)}")), string.Join(" or ", missing));
                return;
            }
            foreach (var (name, value) in given.Where(g => g.Item2 <= 0))
                report(Diagnostics.NonPositiveWidth, spec.Location, $"Network '{spec.Name}' {name}", N(value!.Value));
            long size = (long)image.Channels!.Value * image.Height!.Value * image.Width!.Value;
            if (spec.Inputs is int inputs && given.All(g => g.Item2 > 0) && inputs != size)
                report(Diagnostics.InputsMismatch, spec.Location, spec.Name, N(inputs), $"{N(image.Channels.Value)} × {N(image.Height.Value)} × {N(image.Width.Value)} = {size.ToString(CultureInfo.InvariantCulture)}");
            return;
        }
        if (spec.Inputs is null) report(Diagnostics.NoInputs, spec.Location, spec.Name);
        else if (spec.Inputs <= 0) report(Diagnostics.NonPositiveWidth, spec.Location, $"Network '{spec.Name}' Inputs", N(spec.Inputs.Value));
    }

    /// <summary>FN0039's figures: parameters, forward FLOPs per sample, and the workspace's per-row floats for a batch of 64, layer by layer.</summary>
    private static string[] Totals(NetworkShape net)
    {
        long flops = net.Layers.Sum(l => l.Flops);
        long perRow = net.ActivationFloatsPerSample;
        string Bytes(long b) => b >= 1 << 20 ? $"{(b / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture)} MiB" : $"{(b / 1024.0).ToString("0.0", CultureInfo.InvariantCulture)} KiB";
        string layers = string.Join("; ", net.Layers.Select(l =>
            $"{l.Name} {l.Output}, {l.ParameterTotal.ToString("N0", CultureInfo.InvariantCulture)} parameters, {l.Flops.ToString("N0", CultureInfo.InvariantCulture)} FLOPs"));
        return [net.Name, net.ParameterCount.ToString("N0", CultureInfo.InvariantCulture), flops.ToString("N0", CultureInfo.InvariantCulture), Bytes(perRow * 64 * sizeof(float)), layers];
    }

    /// <summary>
    /// Each generated per-layer name (<c>HiddenWeights</c>, <c>HiddenOutput</c>, …) must be free in its scope: not a layer,
    /// not a network-wide member, not another layer's generated name, not the name of its enclosing type, and in the
    /// Workspace not a member it inherits. Network-wide members against layers are FN0025's.
    /// </summary>
    private static void CheckGeneratedNames(NetworkSpec spec, IReadOnlyList<GeneratedMember> members, Report report)
    {
        var taken = new Dictionary<(MemberScope, string), string>
        {
            [(MemberScope.Record, spec.Name)] = $"the name of the record '{spec.Name}'",
            [(MemberScope.Workspace, GeneratedMembers.WorkspaceClass)] = "the name of the generated Workspace class",
        };
        foreach (var name in GeneratedMembers.WorkspaceBase) taken[(MemberScope.Workspace, name)] = "a member the Workspace inherits from Functional.Workspace";
        foreach (var layer in spec.Layers) taken[(MemberScope.Record, layer.Name)] = $"the layer '{layer.Name}'";
        var locations = spec.Layers.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.First().Location);
        foreach (var member in members)
        {
            var key = (member.Scope, member.Name);
            // A layer with a network-wide name is FN0025's; the record's own name is not.
            bool layerHasIt = member.Layer is null && spec.Layers.Any(l => l.Name == member.Name);
            if (taken.TryGetValue(key, out var holder))
            {
                if (!layerHasIt)
                    report(Diagnostics.GeneratedNameTaken, member.Layer is null ? spec.Location : locations[member.Layer],
                        [member.Layer is null ? $"Network '{spec.Name}'" : $"Layer '{member.Layer}'", member.What, member.Name, holder]);
            }
            else taken[key] = member.What;
        }
    }

    /// <summary>A member the user wrote in the record must not have a name the generator declares there (a layer's own name is the user's to reuse).</summary>
    private static void CheckUserMembers(NetworkSpec spec, IReadOnlyList<GeneratedMember> members, Report report)
    {
        if (spec.UserMembers.Length == 0) return;
        var generated = members
            .Where(m => m.Scope == MemberScope.Record && !spec.Layers.Any(l => l.Name == m.Name))
            .GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var user in spec.UserMembers)
            if (generated.TryGetValue(user.Name, out var member))
                report(Diagnostics.UserMemberTaken, user.Location, [spec.Name, user.Kind, user.Name, member.What]);
    }

    /// <summary>The largest float[] .NET allocates.</summary>
    private const long MaxArrayLength = 0x7FFFFFC7;

    /// <summary>The parameter count in 64-bit arithmetic, each layer's counted by its kind, so absurd widths are reported rather than overflowing.</summary>
    private static long ParameterCount(NetworkSpec spec)
    {
        long total = 0;
        var input = NetworkShape.InputOf(spec);
        foreach (var layer in spec.Layers)
        {
            if (Registry.LayerNamed(layer.Kind) is not { } kind) continue;
            total += kind.ParameterCount(layer, input);
            input = kind.OutputShape(layer, input);
        }
        return total;
    }

    /// <summary>FN0019: a declared initialisation the layer's activation's piece advises against.</summary>
    private static void CheckInitAdvice(LayerSpec layer, Report report)
    {
        if (layer.Activation is not { } activation || Registry.ActivationNamed(activation.Kind)?.Advice is not { } advice) return;
        if (advice.Unsuited.Contains(layer.Init) && (advice.EvenWithBatchNorm || layer.BatchNorm is null))
            report(Diagnostics.InitMismatch, layer.Location, layer.Name, layer.Init.ToString(), activation.Kind, advice.Why);
    }

    private static string ShapeWord(TypeShape shape) => shape switch
    {
        TypeShape.RecordStruct => "record struct",
        TypeShape.Class => "class",
        TypeShape.Struct => "struct",
        TypeShape.Interface => "interface",
        _ => "record",
    };
}
