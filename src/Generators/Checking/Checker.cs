// Judges a parsed network spec: every rule a declaration must satisfy, each failure one catalog diagnostic.
using System.Collections.Generic;
using System.Linq;
using Functional.Generators.Emitting;
using Functional.Generators.Model;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Functional.Generators.Checking;

internal static class Checker
{
    /// <summary>All problems with <paramref name="spec"/>; empty when it can be emitted.</summary>
    public static EquatableArray<DiagnosticInfo> Check(NetworkSpec spec)
    {
        var found = new List<DiagnosticInfo>();
        void Report(DiagnosticDescriptor d, LocationInfo? at, params string[] args) =>
            found.Add(new DiagnosticInfo(d.Id, at ?? spec.Location, args.ToEquatableArray()));

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

        if (spec.Inputs is null) Report(Diagnostics.NoInputs, spec.Location, spec.Name);
        else if (spec.Inputs <= 0) Report(Diagnostics.NonPositiveWidth, spec.Location, $"Network '{spec.Name}' Inputs", spec.Inputs.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        if (spec.Layers.Length == 0)
        {
            Report(Diagnostics.NoLayers, spec.Location, spec.Name);
            return found.ToEquatableArray();
        }

        foreach (var layer in spec.Layers)
        {
            if (Reserved.Contains(layer.Name))
                Report(Diagnostics.ReservedName, layer.Location, layer.Name, spec.Name, string.Join(", ", Reserved.OrderBy(n => n, System.StringComparer.Ordinal)));
            if (!layer.IsDenseType || !layer.HasDenseAttribute)
            {
                string missing = layer.HasDenseAttribute ? "" : ", without [Dense]";
                Report(Diagnostics.NotALayer, layer.Location, layer.Name, spec.Name, layer.TypeName, missing);
                continue;
            }
            if (layer.Units is int units && units <= 0)
                Report(Diagnostics.NonPositiveWidth, layer.Location, $"Layer '{layer.Name}'", units.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var activation in layer.Activations.Where(a => !Catalog.Activations.Contains(a.Kind)))
                Report(Diagnostics.Unsupported, layer.Location, layer.Name, "activation", activation.Kind, string.Join(", ", Catalog.Activations));
            CheckLayerConstants(layer, Report);
            foreach (var e in layer.UndefinedEnums)
                Report(Diagnostics.UndefinedEnumValue, layer.Location, layer.Name, e.Attribute, e.Argument, e.Value, e.EnumName, string.Join(", ", e.Defined));
            foreach (var loss in layer.Losses.Where(l => !Catalog.Losses.Contains(l)))
                Report(Diagnostics.Unsupported, layer.Location, layer.Name, "loss", loss, string.Join(", ", Catalog.Losses));
            if (layer.Activations.Length > 1)
                Report(Diagnostics.TwoActivations, layer.Location, layer.Name, layer.Activations.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(", ", layer.Activations.Select(a => a.Kind)));
        }

        CheckGeneratedNames(spec, Report);
        CheckUserMembers(spec, Report);

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
            if (layer.Dropout is not null)
                Report(Diagnostics.DropoutOnLossLayer, layer.Location, layer.Name);
        }
        if (lossCount > 0 && last.Losses.Length > 0 && last.Units is int classes && classes is > 0 and < 2)
            Report(Diagnostics.TooFewClasses, last.Location, last.Name, classes.ToString(System.Globalization.CultureInfo.InvariantCulture));

        return found.ToEquatableArray();
    }

    /// <summary>Members the generator adds to every network record (the emitter's own list); a layer (a property) of the same name would clash.</summary>
    private static readonly HashSet<string> Reserved = [.. GeneratedMembers.NetworkNames];

    /// <summary>
    /// Each generated per-layer name (<c>HiddenWeights</c>, <c>HiddenOutput</c>, …) must be free in its scope: not a layer,
    /// not a network-wide member, not another layer's generated name, not the name of its enclosing type, and in the
    /// Workspace not a member it inherits. Network-wide members against layers are FN0025's.
    /// </summary>
    private static void CheckGeneratedNames(NetworkSpec spec, System.Action<DiagnosticDescriptor, LocationInfo?, string[]> report)
    {
        var taken = new Dictionary<(MemberScope, string), string>
        {
            [(MemberScope.Record, spec.Name)] = $"the name of the record '{spec.Name}'",
            [(MemberScope.Workspace, GeneratedMembers.WorkspaceClass)] = "the name of the generated Workspace class",
        };
        foreach (var name in GeneratedMembers.WorkspaceBase) taken[(MemberScope.Workspace, name)] = "a member the Workspace inherits from Functional.Workspace";
        foreach (var layer in spec.Layers) taken[(MemberScope.Record, layer.Name)] = $"the layer '{layer.Name}'";
        var locations = spec.Layers.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.First().Location);
        foreach (var member in GeneratedMembers.Of(new NetworkShape(spec)))
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
    private static void CheckUserMembers(NetworkSpec spec, System.Action<DiagnosticDescriptor, LocationInfo?, string[]> report)
    {
        if (spec.UserMembers.Length == 0) return;
        var generated = GeneratedMembers.Of(new NetworkShape(spec))
            .Where(m => m.Scope == MemberScope.Record && !spec.Layers.Any(l => l.Name == m.Name))
            .GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var user in spec.UserMembers)
            if (generated.TryGetValue(user.Name, out var member))
                report(Diagnostics.UserMemberTaken, user.Location, [spec.Name, user.Kind, user.Name, member.What]);
    }

    /// <summary>The largest float[] .NET allocates.</summary>
    private const long MaxArrayLength = 0x7FFFFFC7;

    /// <summary>The parameter count in 64-bit arithmetic (the emitter's layout, counted), so absurd widths are reported rather than overflowing.</summary>
    private static long ParameterCount(NetworkSpec spec)
    {
        long total = 0, fanIn = spec.Inputs ?? 0;
        foreach (var layer in spec.Layers)
        {
            long units = layer.Units ?? 0;
            long width = units * (layer.Activation?.Kind == "Maxout" ? System.Math.Max(1, layer.Activation.Pieces) : 1);
            total += fanIn * width + (layer.BatchNorm is null ? width : 2 * width);
            if (layer.Activation?.Kind == "PRelu") total += layer.Activation.Shared ? 1 : units;
            fanIn = units;
        }
        return total;
    }

    /// <summary>The rules on a layer's declared constants: activation parameters, dropout, batch norm, init.</summary>
    private static void CheckLayerConstants(LayerSpec layer, System.Action<DiagnosticDescriptor, LocationInfo?, string[]> report)
    {
        string F(float value) => value.ToString("R", CultureInfo.InvariantCulture);
        foreach (var a in layer.Activations)
        {
            if (a.Kind == "Maxout" && a.Pieces < 2) report(Diagnostics.MaxoutPieces, layer.Location, [layer.Name, a.Pieces.ToString(CultureInfo.InvariantCulture)]);
            if (a.Kind == "Elu" && !(a.Number > 0) ) report(Diagnostics.EluAlpha, layer.Location, [layer.Name, F(a.Number)]);
            if (a.Kind == "LeakyRelu" && !(a.Number >= 0 && a.Number < 1)) report(Diagnostics.LeakySlope, layer.Location, [layer.Name, F(a.Number)]);
        }
        if (layer.Dropout is float p && !(p >= 0 && p < 1)) report(Diagnostics.DropoutRange, layer.Location, [layer.Name, F(p)]);
        if (layer.BatchNorm is { } bn)
        {
            if (layer.Units == 1) report(Diagnostics.BatchNormWidthOne, layer.Location, [layer.Name, "1"]);
            if (!(bn.Momentum > 0 && bn.Momentum <= 1)) report(Diagnostics.BadConstant, layer.Location, [layer.Name, "BatchNorm Momentum", F(bn.Momentum), "in (0, 1]"]);
            if (!(bn.Epsilon > 0) || float.IsInfinity(bn.Epsilon)) report(Diagnostics.BadConstant, layer.Location, [layer.Name, "BatchNorm Epsilon", F(bn.Epsilon), "a positive number"]);
        }
        if (layer.Init == InitKind.SmallRandom && (!(layer.InitStd > 0) || float.IsInfinity(layer.InitStd)))
            report(Diagnostics.BadConstant, layer.Location, [layer.Name, "InitStd", F(layer.InitStd), "a positive number"]);
        if (float.IsNaN(layer.BiasInit) || float.IsInfinity(layer.BiasInit))
            report(Diagnostics.BadConstant, layer.Location, [layer.Name, "BiasInit", F(layer.BiasInit), "a finite number"]);

        if (layer.Init == InitKind.Zeros)
            report(Diagnostics.ZerosInit, layer.Location, [layer.Name]);
        string? kind = layer.Activation?.Kind;
        bool saturating = kind is "Sigmoid" or "Tanh";
        if (saturating && layer.Init is InitKind.He or InitKind.HeUniform)
            report(Diagnostics.InitMismatch, layer.Location, [layer.Name, layer.Init.ToString(), kind!,
                "He's doubled variance pushes a saturating unit into its flat tails, where gradients vanish; use Xavier"]);
        if (kind is "Relu" or "LeakyRelu" or "PRelu" && layer.Init is InitKind.Xavier or InitKind.XavierUniform && layer.BatchNorm is null)
            report(Diagnostics.InitMismatch, layer.Location, [layer.Name, layer.Init.ToString(), kind!,
                "ReLU zeroes half its input, so Xavier halves the activations' variance at every layer and deep networks fade to zero; use He"]);
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
