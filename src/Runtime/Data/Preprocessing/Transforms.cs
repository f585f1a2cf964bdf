// Rebuilds fitted transforms from their descriptions (as read from a model file), checking every setting and array.
using System.Globalization;
using LanguageExt;
using LanguageExt.Common;

namespace Functional.Data;

/// <summary>The inverse of <see cref="ITransform.Describe"/> for every transform Functional defines.</summary>
public static class Transforms
{
    /// <summary>
    /// The transform <paramref name="description"/> describes, or an error starting with <paramref name="where"/>
    /// (a file name and step) that says which setting or array is missing, malformed or inconsistent.
    /// </summary>
    public static Fin<ITransform> Restore(TransformDescription description, string where)
    {
        try
        {
            return Fin<ITransform>.Succ(Build(description, where));
        }
        catch (FormatException e)
        {
            return Error.New($"{where}: {e.Message}");
        }
    }

    private static ITransform Build(TransformDescription t, string where)
    {
        switch (t.Kind)
        {
            case nameof(FittedPipeline):
            {
                int inputs = Int(t, "inputs", min: 1);
                var steps = new ITransform[t.Parts.Count];
                for (int i = 0; i < steps.Length; i++) steps[i] = Build(t.Parts[i], $"{where}, step {i + 1} ({t.Parts[i].Kind})");
                try
                {
                    return FittedPipeline.Of(inputs, steps);
                }
                catch (ArgumentException e)
                {
                    throw new FormatException(e.Message);
                }
            }
            case nameof(Centering):
            case nameof(Scaling):
            {
                var g = Granularity.Parse(Text(t, "granularity")) ?? throw new FormatException($"granularity \"{Text(t, "granularity")}\" is not scalar, per-feature or per-channel(C)");
                int inputs = Int(t, "inputs", min: 1);
                if (g.Kind == GranularityKind.PerChannel && inputs % g.Channels != 0)
                    throw new FormatException($"{inputs} inputs do not split into {g.Channels} channels");
                string name = t.Kind == nameof(Centering) ? "mean" : "std";
                var values = Array(t, name, g.GroupCount(inputs));
                int bad = System.Array.FindIndex(values, v => !(v > 0));
                if (t.Kind == nameof(Scaling) && bad >= 0)
                    throw new FormatException($"array \"std\"[{bad}] is {values[bad]}; a divisor must be positive");
                return t.Kind == nameof(Centering) ? new Centering(g, inputs, values) : new Scaling(g, inputs, values);
            }
            case nameof(Pca):
            case nameof(PcaWhitening):
            case nameof(ZcaWhitening):
            {
                int d = Int(t, "inputs", min: 1);
                int k = Int(t, "components", min: 1);
                if (k > d) throw new FormatException($"{k} components of {d}-feature rows (at most {d})");
                if (t.Kind == nameof(ZcaWhitening) && k != d) throw new FormatException($"ZCA keeps all {d} components, not {k}");
                double total = Double(t, "totalVariance");
                if (total < 0) throw new FormatException($"total variance {total} is negative");
                var mean = Array(t, "mean", d);
                var components = Array(t, "components", k * d);
                var variances = Array(t, "variances", k);
                if (variances.Any(v => v < 0)) throw new FormatException("array variances holds a negative variance");
                if (t.Kind == nameof(Pca)) return new Pca(mean, components, variances, total);
                double epsilon = Double(t, "epsilon");
                if (epsilon < 0) throw new FormatException($"ε = {epsilon} is negative");
                return t.Kind == nameof(PcaWhitening)
                    ? new PcaWhitening(mean, components, variances, total, epsilon)
                    : new ZcaWhitening(mean, components, variances, total, epsilon);
            }
            default:
                throw new FormatException($"unknown transform kind \"{t.Kind}\" (known: {nameof(FittedPipeline)}, {nameof(Centering)}, " +
                                          $"{nameof(Scaling)}, {nameof(Pca)}, {nameof(PcaWhitening)}, {nameof(ZcaWhitening)})");
        }
    }

    private static string Text(TransformDescription t, string key) =>
        t.Settings.TryGetValue(key, out var value) ? value : throw new FormatException($"setting \"{key}\" is missing");

    private static int Int(TransformDescription t, string key, int min)
    {
        string text = Text(t, key);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min)
            throw new FormatException($"setting \"{key}\" is \"{text}\", not a whole number ≥ {min}");
        return value;
    }

    private static double Double(TransformDescription t, string key)
    {
        string text = Text(t, key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new FormatException($"setting \"{key}\" is \"{text}\", not a finite number");
        return value;
    }

    /// <summary>A copy of the named array, checked for length and finiteness (the caller's array is never shared).</summary>
    private static float[] Array(TransformDescription t, string key, int length)
    {
        if (!t.Arrays.TryGetValue(key, out var values)) throw new FormatException($"array \"{key}\" is missing");
        if (values.Length != length) throw new FormatException($"array \"{key}\" holds {values.Length} values, not {length}");
        int bad = System.Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0) throw new FormatException($"array \"{key}\"[{bad}] is {values[bad]}");
        return (float[])values.Clone();
    }
}
