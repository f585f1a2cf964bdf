// One trial's hyperparameters by name, as a trial function reads them and as the study stores them (JSON).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Functional.Search;

/// <summary>
/// A trial's hyperparameters in the space's order: numbers (real and integer dimensions) and strings (categorical ones).
/// Asking for a name that is not there, or for a number where a choice is, throws one line naming the names there are.
/// </summary>
public sealed class ParameterSet : IEquatable<ParameterSet>
{
    private readonly KeyValuePair<string, object>[] values;

    internal ParameterSet(KeyValuePair<string, object>[] values) => this.values = values;

    /// <summary>The names and values, in the space's order.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Values => values;

    /// <summary>The names, in the space's order.</summary>
    public IEnumerable<string> Names => values.Select(v => v.Key);

    /// <summary>The real value of <paramref name="name"/>.</summary>
    public double Real(string name) => Find(name) is double d ? d : throw Wrong(name, "a number");

    /// <summary>The whole-number value of <paramref name="name"/>.</summary>
    public long Integer(string name) => Find(name) is double d && d == Math.Floor(d) ? (long)d : throw Wrong(name, "a whole number");

    /// <summary>The choice made for <paramref name="name"/>.</summary>
    public string Choice(string name) => Find(name) as string ?? throw Wrong(name, "a choice");

    /// <summary>True when <paramref name="name"/> is one of the parameters.</summary>
    public bool Contains(string name) => values.Any(v => v.Key == name);

    /// <summary>The value of <paramref name="name"/> as a number, or null for a choice.</summary>
    public double? Number(string name) => Find(name) as double?;

    /// <summary>As command-line options: <c>--lr 0.0012 --l2 3.4E-05</c>, numbers in their shortest round-trip form.</summary>
    public string ToCommandLine() => string.Join(" ", values.Select(v => $"--{v.Key} {Dimension.Format(v.Value)}"));

    /// <summary>As <c>lr=0.0012 l2=3.4E-05</c>.</summary>
    public override string ToString() => string.Join(" ", values.Select(v => $"{v.Key}={Dimension.Display(v.Value)}"));

    /// <summary>As a JSON object, numbers round-trip exact.</summary>
    public string ToJson()
    {
        var o = new JsonObject();
        foreach (var (name, value) in values) o[name] = value is double d ? JsonValue.Create(d) : JsonValue.Create((string)value);
        return o.ToJsonString();
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static ParameterSet FromJson(string json)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new FormatException($"trial parameters are not a JSON object: {json}");
        return new([.. node.Select(p => new KeyValuePair<string, object>(p.Key, p.Value?.GetValueKind() switch
        {
            JsonValueKind.Number => (object)p.Value.GetValue<double>(),
            JsonValueKind.String => p.Value.GetValue<string>(),
            _ => throw new FormatException($"trial parameter {p.Key} is neither a number nor a string: {json}"),
        }))]);
    }

    /// <summary>Builds a set by hand (for a trial run outside a study, or a test); numbers as <see cref="double"/>, choices as <see cref="string"/>.</summary>
    public static ParameterSet Of(params (string Name, object Value)[] values) =>
        new([.. values.Select(v => new KeyValuePair<string, object>(v.Name, v.Value switch
        {
            double or string => v.Value,
            IConvertible c when v.Value is not bool => c.ToDouble(CultureInfo.InvariantCulture),
            _ => throw new ArgumentException($"parameter {v.Name}: {v.Value} is neither a number nor a string"),
        }))]);

    /// <summary>True when both have the same names and values in the same order.</summary>
    public bool Equals(ParameterSet? other) => other is not null && values.Length == other.values.Length
        && values.Zip(other.values).All(p => p.Item1.Key == p.Item2.Key && p.Item1.Value.Equals(p.Item2.Value));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ParameterSet);

    /// <inheritdoc />
    public override int GetHashCode() => values.Aggregate(0, (h, v) => HashCode.Combine(h, v.Key, v.Value));

    private object Find(string name)
    {
        foreach (var (key, value) in values)
            if (key == name) return value;
        throw new KeyNotFoundException($"unknown hyperparameter \"{name}\" (this trial has {string.Join(", ", Names)})");
    }

    private InvalidCastException Wrong(string name, string wanted) => new($"hyperparameter \"{name}\" is {Dimension.Format(Find(name))}, not {wanted}");
}
